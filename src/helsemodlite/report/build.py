"""The report folder: every chart as PNG, ``report.html``, ``report.xlsx`` and ``run.json``,
assembled from computed objects (:class:`ReportInputs`) as a dict of file name → bytes.

The orchestration that runs the projections lives in :func:`helsemodlite.api.write_report`;
this module decides what the report says (sections, tables, charts) and returns bytes, so
the folder can be written whole or not at all (:mod:`helsemodlite.io.atomic`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import dims
from ..io.tables import DRIVER_LABELS, Projection, default_years
from ..scenarios.combine import COMBINED, SUM_OF_SINGLES
from ..scenarios.files import Scenario, display_path
from . import labels as lb
from . import plot
from .html import Chart, Facts, Heading, Para, Pre, Row, Section, Table, render
from .provenance import Provenance
from .xlsx import Sheet, workbook

CHART_FILES = {
    "gap": "gap.png",
    "supply_demand": "tilbud_og_ettersporsel.png",
    "drivers": "drivere.png",
    "effects": "tiltak.png",
    "services": "tjenesteomrader.png",
    "age": "alder.png",
    "fan": "usikkerhet.png",
    "fan_effect": "usikkerhet_tiltak.png",
}
"""Every chart the report can hold and its file name in the folder."""
REPORT_FILES = ("report.html", "report.xlsx", "run.json", *CHART_FILES.values())
"""Every file a report folder can hold (with ``--svg`` also the charts as SVG)."""
ALL_REPORT_FILES = (*REPORT_FILES, *(f.removesuffix(".png") + ".svg" for f in CHART_FILES.values()))


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario of the report: the scenario, its projection (with detail) and the text of
    the file that defines it (or its TOML when it was given in Python)."""

    scenario: Scenario
    projection: Projection
    text: str


@dataclass(frozen=True)
class ReportInputs:
    """Everything a report shows, computed: the reference projection, each scenario's run,
    ``hm.compare(..., combined=True)`` of the scenarios, Monte Carlo runs of the reference and
    of all measures together (None when not run) and the provenance."""

    reference: Projection
    runs: list[ScenarioRun]
    comparison: pd.DataFrame | None
    simulation: Any | None
    combined_simulation: Any | None
    provenance: Provenance
    year: int = 2040
    horizon: int = 2040
    svg: bool = False
    titles: dict[str, str] = field(default_factory=dict)
    _parts: dict[int, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)

    def decompose(self, proj: Projection) -> pd.DataFrame:
        """``proj.decompose()``, computed once per projection (a chart, a table and a sheet
        use it)."""
        key = id(proj)
        if key not in self._parts:
            self._parts[key] = proj.decompose()
        return self._parts[key]


# -- tables -----------------------------------------------------------------------------------


def _group_rows(groups: tuple[str, ...]) -> list[str]:
    order = [g for g in dims.PUBLICATION_ORDER if g in groups]
    return order + [g for g in groups if g not in order] + [dims.SUM_LABEL]


def _label_index(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.index = [lb.group_label(str(g)) for g in frame.index]
    return frame


def _years(r: ReportInputs) -> tuple[int, ...]:
    return default_years(r.reference.years)[0]


def _residual(value: object) -> str:
    """The calibration's largest residual, whole årsverk (not "40.863", which a Norwegian
    reader takes for forty thousand)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{lb.number(value)} årsverk"
    return "–"


def _effect_tables(r: ReportInputs) -> list[Table]:
    cmp_ = r.comparison
    assert cmp_ is not None
    sums = cmp_[cmp_.group == dims.SUM_LABEL]
    out = []
    for variable, what in (("gap", "gapet"), ("supply", "tilbudet"), ("demand", "etterspørselen")):
        wide = sums.pivot_table(index="scenario", columns="year", values=variable, sort=False)
        if variable != "gap" and (wide.abs() < 0.5).all(axis=None):
            continue  # e.g. no measure on the demand side: the table would be all zeros
        if COMBINED in wide.index:
            wide.loc["Forskjell (samlet − sum av enkelttiltak)"] = (
                wide.loc[COMBINED] - wide.loc[SUM_OF_SINGLES]
            )
        wide.index = [lb.scenario_label(str(n), r.titles) for n in wide.index]
        wide.columns = [str(c) for c in wide.columns]
        out.append(
            Table(
                f"Virkning på {what}, Sum 14 grupper, årsverk (scenario − referansebane)",
                wide,
                fmt="signed",
                header="Scenario",
            )
        )
    at = cmp_[cmp_.year == r.year].pivot_table(
        index="group", columns="scenario", values="gap", sort=False
    )
    at = at.loc[[g for g in _group_rows(r.reference.inputs.groups) if g in at.index]]
    at.columns = [lb.scenario_label(str(c), r.titles) for c in at.columns]
    out.append(
        Table(
            f"Virkning på gapet i {r.year} per utdanningsgruppe, årsverk",
            _label_index(at),
            fmt="signed",
            header="Utdanningsgruppe",
        )
    )
    return out


def _driver_table(parts: pd.DataFrame, years: tuple[int, ...]) -> Table:
    sub = parts[(parts.group == dims.SUM_LABEL) & parts.year.isin(years)]
    wide = sub.pivot_table(index="driver", columns="year", values="value", sort=False)
    wide = wide.loc[list(dict.fromkeys(sub.driver))]
    wide = wide[(wide.abs() >= 0.5).any(axis=1)]
    wide.loc[dims.SUM_LABEL] = wide.sum(axis=0)
    wide.index = [
        DRIVER_LABELS.get(str(d), str(d)) if d != dims.SUM_LABEL else "Gap" for d in wide.index
    ]
    wide.columns = [str(c) for c in wide.columns]
    return Table(
        "Gapet fordelt på drivere, Sum 14 grupper, årsverk (+ bedrer, − forverrer)",
        wide,
        header="Driver",
        note="Gapet i basisåret pluss endringene siden; summen er gapet det året, eksakt.",
    )


def _service_table(proj: Projection, years: tuple[int, ...]) -> Table:
    inp = proj.inputs
    cells = proj.services()
    shown = (proj.years[0], *years)
    wide = (
        cells[cells.year.isin(shown)]
        .pivot_table(index="service", columns="year", values="demand", aggfunc="sum")
        .loc[list(inp.services)]
    )
    wide.loc[dims.SUM_LABEL] = wide.sum(axis=0)
    labels = dict(zip(inp.services, inp.service_labels, strict=True))
    wide.index = [labels.get(str(s), str(s)) for s in wide.index]
    wide.columns = [str(c) for c in wide.columns]
    return Table(
        "Etterspørsel etter tjenesteområde, årsverk (referansebanen, uten underskuddet i "
        "basisåret)",
        wide,
        header="Tjenesteområde",
    )


def _uncertainty_table(sim: Any, years: tuple[int, ...]) -> Table:
    q = np.quantile(sim.gap[:, :, -1], (0.05, 0.25, 0.5, 0.75, 0.95), axis=0)  # Sum
    prob = (sim.gap[:, :, -1] < 0).mean(axis=0)
    idx = [sim.years.index(y) for y in years]
    frame = pd.DataFrame(
        {
            "5 %": q[0, idx],
            "25 %": q[1, idx],
            "Median": q[2, idx],
            "75 %": q[3, idx],
            "95 %": q[4, idx],
            "Trekk 0": sim.gap[0, idx, -1],
        },
        index=[str(y) for y in years],
    )
    chance = ", ".join(f"{y}: {lb.percent(prob[i])}" for y, i in zip(years, idx, strict=True))
    return Table(
        f"Gapet, Sum 14 grupper: kvantiler av {sim.n_draws} trekk, årsverk",
        frame,
        header="År",
        note=f"Sannsynlighet for underskudd (andel trekk med gap under null): {chance}.",
    )


# -- sections ---------------------------------------------------------------------------------


def _gap_section(r: ReportInputs, years: tuple[int, ...], charts: dict[str, Chart]) -> Section:
    tables = []
    runs = [("referanse", r.reference), *((x.scenario.name, x.projection) for x in r.runs)]
    for name, proj in runs:
        tables.append(
            Table(
                f"Scenario: {lb.scenario_label(name, r.titles)}",
                proj.gap_table(years=years),
                header="Utdanningsgruppe",
            )
        )
    intro = Para(
        "Differanse mellom tilbud og etterspørsel, årsverk (negativt tall = underskudd), "
        "14 utdanningsgrupper, avrundet til nærmeste 100, i publikasjonens oppsett."
    )
    return Section(
        "gap", "Gapet mellom tilbud og etterspørsel", [intro, Row(tables), charts["gap"]]
    )


def _scenario_section(r: ReportInputs) -> Section:
    blocks: list[Any] = []
    for x in r.runs:
        sc = x.scenario
        chain = " → ".join(sc.baseline_chain) if sc.baseline_chain else sc.baseline
        where = display_path(sc.source) if sc.source is not None else "gitt i Python"
        blocks.append(Heading(f"{sc.title} ({sc.name})"))
        blocks.append(
            Facts(
                [
                    ("Navn", sc.name),
                    ("Tittel", sc.title),
                    ("Beskrivelse", " ".join(sc.description.split()) or "–"),
                    ("Grunnlag (baseline)", chain),
                    ("Fil", where),
                ]
            )
        )
        blocks.append(Pre(x.text, caption=f"Scenariofilen {where}:"))
    return Section("scenarier", "Scenarioene", blocks)


STATUS = {"observed": "observert", "assumed": "antatt"}
OVERVIEW = (
    ("Befolkning 1.1.2024 etter kjønn og alder", "observert (SSB 07459)"),
    ("Befolkningsframskrivingen", "totaler observert (SSB 14288); etter alder framskrevet her"),
    ("Dødelighet", "FNs WPP 2024, interpolert"),
    ("Personellbestand 2024", "anslått: SSB-tabeller 2013–2015 ført fram til 2024"),
    ("Yrkesdeltakelse P og arbeidstid E", "anslått (GLM, WLS) fra grupperte SSB-data"),
    ("Nyutdannede og innvandrere", "observert for noen grupper, antatt for resten (se under)"),
    ("Avgang", "antatt"),
    ("Sykefravær", "observert per gruppe (2007/2011), skalert til dagens nivå"),
    ("Tjenesteområder og årsverk 2024", "fire områder fra publiserte tall, resten antatt"),
    ("Bruksprofiler etter alder", "SSB/SAMDATA der de finnes, ellers antatt"),
    ("Bemanningssammensetning", "delvis observert, balansert med RAS"),
    ("Standardvekst, friskere aldring", "publiserte forutsetninger i referansebanen"),
)
"""Observed or estimated, input by input, for the embedded data set (docs/data.md)."""


def _data_section(p: Provenance) -> Section:
    blocks: list[Any] = [
        Para(
            f"Inndata: {lb.inputs_label(p.inputs_label)}. Tall i inputs/sources/ er offentlige "
            "tabeller slik de ble publisert (observert); alt i inputs/assumptions/ er anslått "
            "eller antatt, hver verdi med enhet, begrunnelse og belegg; inputs/model/ er bygd av "
            "de to."
        )
    ]
    if p.embedded:
        frame = pd.DataFrame({"Status": [s for _, s in OVERVIEW]}, index=[k for k, _ in OVERVIEW])
        blocks.append(
            Table(
                "Observert, anslått, kalibrert (det innebygde datasettet)", frame, "text", "Input"
            )
        )
    if p.inflow_status is not None:
        st = p.inflow_status.set_index("group")
        frame = pd.DataFrame(
            {
                "Nyutdannede": [STATUS.get(str(v), str(v)) for v in st.graduates_status],
                "Innvandrere": [STATUS.get(str(v), str(v)) for v in st.immigrants_status],
            },
            index=[lb.group_label(str(g)) for g in st.index],
        )
        blocks.append(
            Table("Tilgang per gruppe: observert eller antatt nivå", frame, "text", "Gruppe")
        )
    if p.sources:
        keys = ("file", "publisher", "table_id", "title", "reference_date")
        frame = pd.DataFrame(
            {k: [str(s.get(k, "")) for s in p.sources] for k in keys[1:]},
            index=[str(s.get("file", "")) for s in p.sources],
        )
        frame.columns = ["Utgiver", "Tabell", "Tittel", "Referansetid"]
        blocks.append(
            Table(f"Kildekatalogen (sources.toml): {len(p.sources)} tabeller", frame, "text", "Fil")
        )
    else:
        blocks.append(Para("Inputs-mappen har ingen kildekatalog (sources.toml)."))
    if p.assumptions:
        frame = pd.DataFrame(
            {
                "Oppføringer": [n for _, n, _ in p.assumptions],
                "Innhold": [c for _, _, c in p.assumptions],
            },
            index=[f for f, _, _ in p.assumptions],
        )
        blocks.append(
            Table("Anslåtte og antatte parametere (inputs/assumptions/)", frame, "number", "Fil")
        )
    return Section("data", "Datagrunnlag og forutsetninger", blocks)


QUANTITY = {
    "gap": "Gap",
    "supply_total": "Tilbud i alt",
    "demand_total_excl_shortage": "Etterspørsel i alt (uten underskudd)",
    "initial_shortage_total": "Underskudd i basisåret",
}


def fit_frame(fit: pd.DataFrame) -> pd.DataFrame:
    """calibration/fit.csv with Norwegian headers and labels."""
    out = pd.DataFrame(
        {
            "Størrelse": [QUANTITY.get(str(q), str(q)) for q in fit["quantity"]],
            "Gruppe": [lb.group_label(str(g)) for g in fit["group"]],
            "År": fit["year"].astype("int64"),
            "Publisert": fit["published"].astype(float),
            "Modell": fit["model"].astype(float),
            "Toleranse": fit["tolerance"].astype(float),
            "Avvik": fit["residual"].astype(float),
        }
    )
    return out


def _calibration_section(p: Provenance) -> Section:
    rec = p.calibration_record
    counts = rec.get("counts", {}) if isinstance(rec.get("counts"), dict) else {}
    facts = [
        ("Mål", str(rec.get("targets", "–"))),
        ("Tilpasset", str(rec.get("fitted_on", "–"))),
        ("Metode", lb.method_label(str(rec.get("method", "–")))),
        ("Parametere / mål", f"{counts.get('parameters', '–')} / {counts.get('targets', '–')}"),
        ("Største avvik i gapet", _residual(rec.get("max_abs_gap_residual"))),
    ]
    match = p.calibration.get("fitted_inputs_match")
    changed = ", ".join(p.calibration.get("changed_since_fit", []))
    same = "ja" if match is True else f"nei: {changed}" if match is False else "ukjent"
    facts.append(("Inputs som ved tilpasningen", same))
    blocks: list[Any] = [
        Para(
            "Referansebanen er kalibrert åpent til den publiserte referansebanen i "
            "Helsepersonellplan 2040 (docs/calibration.md): per gruppe én parameter på "
            "tilbudssiden og underskuddet i basisåret."
        ),
        Facts(facts),
    ]
    if p.fit is not None and {"quantity", "group", "year", "published", "model"} <= set(
        p.fit.columns
    ):
        frame = fit_frame(p.fit)
        shown = frame.drop(columns=["Størrelse", "Gruppe"])
        shown.index = [
            f"{s}, {g}" for s, g in zip(frame["Størrelse"], frame["Gruppe"], strict=True)
        ]
        shown["År"] = shown["År"].astype(str)
        blocks.append(
            Table(
                "Tilpasningen: publisert mot modell (calibration/fit.csv)", shown, "number", "Mål"
            )
        )
    return Section("kalibrering", "Kalibrering", blocks)


def _reproduce_section(p: Provenance) -> Section:
    env = ", ".join(f"{k} {v}" for k, v in p.environment.items())
    hashes = pd.DataFrame({"SHA-256": list(p.file_hashes.values())}, index=list(p.file_hashes))
    return Section(
        "reproduser",
        "Slik gjenskapes rapporten",
        [
            Facts(
                [
                    ("Program", f"helsemodlite {p.version}"),
                    ("Biblioteker", env),
                    ("Inndata", lb.inputs_label(p.inputs_label)),
                    *((k, str(v)) for k, v in p.settings.items()),
                ]
            ),
            Pre(p.command, caption="Kommandoen som lager denne rapporten:"),
            Para(
                "Samme versjon, samme inputs (sjekksummene under) og samme låste biblioteker "
                "(requirements/ci.txt) gir de samme tallene; docs/reproducing.md forklarer hvordan."
            ),
            Table("Sjekksummer for inputfilene", hashes, "text", "Fil"),
        ],
    )


# -- the whole report -------------------------------------------------------------------------


def _charts(r: ReportInputs) -> dict[str, tuple[Any, str]]:
    """Figure builders and captions, by key of :data:`CHART_FILES` (only those that apply)."""
    ref, titles = r.reference, r.titles
    projs = [ref, *(x.projection for x in r.runs)]
    out: dict[str, tuple[Callable[[], Any], str]] = {
        "gap": (
            lambda: plot.gap_paths(projs, horizon=r.horizon, titles=titles),
            "Gapet år for år per utdanningsgruppe og for Sum, referansebanen (svart) og "
            "scenarioene. Negativt tall = underskudd.",
        ),
        "supply_demand": (
            lambda: plot.supply_demand(ref, horizon=r.horizon),
            "Tilbud og etterspørsel per gruppe i referansebanen. Rødt felt er underskudd, også "
            "det som finnes allerede i basisåret.",
        ),
        "drivers": (
            lambda: plot.gap_waterfall(ref, year=r.year, decomposition=r.decompose(ref)),
            f"Fra gapet i {ref.years[0]} til gapet i {r.year}, Sum: hver søyle er én driver i "
            "den eksakte dekomponeringen (referansebanen).",
        ),
    }
    if r.comparison is not None:
        together = COMBINED in set(r.comparison["scenario"])
        out["effects"] = (
            lambda: plot.effects(r.comparison, year=r.year, titles=titles),
            f"Hvert tiltak alene, summen av dem og alle samlet i én framskriving, {r.year}. "
            "Forskjellen mellom de to nederste er samspillet/overlappen mellom tiltakene."
            if together
            else f"Virkningen av hvert tiltak alene, {r.year}"
            + (" (ikke kjørt samlet; se merknaden under)." if len(r.runs) > 1 else "."),
        )
    out["services"] = (
        lambda: plot.demand_by_service(ref, years=(ref.years[0], r.year)),
        "Etterspørselen etter tjenesteområde og personellkategori i referansebanen.",
    )
    out["age"] = (
        lambda: plot.supply_by_age(ref, years=(ref.years[0], r.year)),
        "Tilbudet etter aldersgruppe i referansebanen: hvor avgangene biter.",
    )
    if r.simulation is not None:
        out["fan"] = (
            lambda: plot.fan(r.simulation, groups=(dims.SUM_LABEL,), horizon=r.horizon),
            "Usikkerheten i gapet (Sum): 5–95 % og 25–75 % av trekkene, medianen og trekk 0.",
        )
    if r.combined_simulation is not None:
        out["fan_effect"] = (
            lambda: plot.fan(r.combined_simulation, effect=True, horizon=r.horizon, titles=titles),
            "Usikkerheten i virkningen av alle tiltakene samlet, på de samme trekkene.",
        )
    return out


WORKERS_ENV = "HELSEMODLITE_REPORT_WORKERS"
"""Processes that draw the charts and the workbook (default: the CPUs, at most 4; 1: in this
process)."""
DRAW_ORDER = (
    "supply_demand",
    "age",
    "gap",
    "xlsx",
    "services",
    "drivers",
    "effects",
    "fan",
    "fan_effect",
)
"""The pieces, slowest first (so the workers finish together)."""
_JOB: ReportInputs | None = None
"""The report being drawn, inherited by forked workers (nothing is pickled to them)."""


def _draw(key: str) -> dict[str, bytes]:
    """One piece of the folder: a chart (PNG, and SVG when asked) or the workbook."""
    r = _JOB
    assert r is not None
    if key == "xlsx":
        return {"report.xlsx": workbook(_sheets(r), title=_title(r)[0])}
    build, _ = _charts(r)[key]
    fig = build()
    name = CHART_FILES[key]
    out = {name: plot.png(fig)}
    if r.svg:
        out[name.removesuffix(".png") + ".svg"] = plot.svg(fig)
    return out


def _workers(n: int) -> int:
    """How many processes draw: forked workers only on Linux, and only from a process with one
    thread (a fork copies no other thread, so a lock one of them held would never be
    released)."""
    import os
    import sys
    import threading

    wanted = os.environ.get(WORKERS_ENV, "").strip()
    count = int(wanted) if wanted.isdigit() else min(4, os.cpu_count() or 1)
    if sys.platform != "linux" or threading.active_count() > 1:
        return 1
    return max(1, min(count, n))


def _draw_all(r: ReportInputs, keys: list[str]) -> dict[str, bytes]:
    """Every chart and the workbook, drawn in parallel where :func:`_workers` allows (the same
    bytes either way: each piece is a pure function of the report)."""
    global _JOB
    _JOB = r
    try:
        workers = _workers(len(keys))
        if workers > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor
            from concurrent.futures.process import BrokenProcessPool

            import matplotlib.figure  # noqa: F401  loaded once, inherited by the workers

            for proj in (r.reference, *(x.projection for x in r.runs)):
                r.decompose(proj)  # computed once, before the fork
            try:
                ctx = multiprocessing.get_context("fork")
                with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
                    parts = list(pool.map(_draw, keys))
            except (OSError, BrokenProcessPool):
                parts = [_draw(k) for k in keys]
        else:
            parts = [_draw(k) for k in keys]
    finally:
        _JOB = None
    return {name: data for part in parts for name, data in part.items()}


def _render_charts(r: ReportInputs) -> tuple[dict[str, Chart], dict[str, bytes]]:
    """The charts (as embedded in the page) and the folder's files: the charts and the
    workbook."""
    captions = {key: caption for key, (_, caption) in _charts(r).items()}
    order = [k for k in DRAW_ORDER if k == "xlsx" or k in captions]
    files = _draw_all(r, order)
    charts = {k: Chart(CHART_FILES[k], captions[k], files[CHART_FILES[k]]) for k in captions}
    return charts, files


def _sections(r: ReportInputs, charts: dict[str, Chart]) -> list[Section]:
    years = _years(r)
    ref = r.reference
    sections = [
        _gap_section(r, years, charts),
        Section("tilbud", "Tilbud og etterspørsel", [charts["supply_demand"]]),
        Section(
            "drivere",
            "Hvor gapet kommer fra",
            [charts["drivers"], _driver_table(r.decompose(ref), (ref.years[0], *years))],
        ),
    ]
    if r.comparison is not None:
        notes = [Para(f"Merk: {n}") for n in r.comparison.attrs.get("notes", [])]
        sections.append(
            Section(
                "tiltak", "Tiltakenes virkning", [charts["effects"], *_effect_tables(r), *notes]
            )
        )
    sections.append(
        Section(
            "tjenester",
            "Etterspørsel etter tjenesteområde",
            [charts["services"], _service_table(ref, years)],
        )
    )
    sections.append(Section("alder", "Tilbud etter alder", [charts["age"]]))
    if r.simulation is not None:
        blocks: list[Any] = [
            Para(
                "Monte Carlo over de oppgitte usikre forutsetningene "
                f"(assumptions/uncertainty.toml, docs/uncertainty.md): {r.simulation.n_draws} "
                "trekk; trekk 0 er referansens forutsetninger. Båndene viser 5–95 % og "
                "25–75 % av trekkene."
            ),
            charts["fan"],
            _uncertainty_table(r.simulation, years),
        ]
        if "fan_effect" in charts:
            blocks.append(charts["fan_effect"])
        sections.append(Section("usikkerhet", "Usikkerhet", blocks))
    if r.runs:
        sections.append(_scenario_section(r))
    sections += [
        _data_section(r.provenance),
        _calibration_section(r.provenance),
        _reproduce_section(r.provenance),
    ]
    return sections


def _title(r: ReportInputs) -> tuple[str, list[str]]:
    ref = r.reference
    title = f"Helsepersonell {ref.years[0]}–{r.horizon}: tilbud, etterspørsel og gap"
    names = [lb.scenario_label(x.scenario.name, r.titles) for x in r.runs]
    lead = [
        "Framskriving av tilbud av og etterspørsel etter helsepersonell i 14 "
        f"utdanningsgrupper, laget med helsemodlite {r.provenance.version} (i ånden til SSBs "
        "Helsemod). " + lb.GAP_CONVENTION,
        ("Scenarier: " + "; ".join(names) + ", mot referansebanen.")
        if names
        else "Referansebanen (ingen scenarier).",
        "Gapet er en sammenligning av to framskrivinger under oppgitte forutsetninger, ikke en "
        "prognose.",
    ]
    return title, lead


# -- workbook ---------------------------------------------------------------------------------


def _summary_sheet(projs: list[Projection]) -> pd.DataFrame:
    frames = []
    for p in projs:
        s = p.summary(with_scenario=True)
        frames.append(s)
    s = pd.concat(frames, ignore_index=True)
    return pd.DataFrame(
        {
            "Scenario": s["scenario"].astype(str),
            "År": s["year"].astype("int64"),
            "Gruppe-id": s["group"].astype(str),
            "Utdanningsgruppe": [lb.group_label(str(g)) for g in s["group"]],
            "Tilbud (årsverk)": s["supply"].astype(float),
            "Etterspørsel (årsverk)": s["demand"].astype(float),
            "Gap (årsverk)": s["gap"].astype(float),
            SUM_ROW: (s["group"] == dims.SUM_LABEL).astype(bool),
        }
    )


SUM_ROW = "Sumrad (ikke summer med gruppene)"
"""The column that marks the Sum rows in every sheet that has them."""
ROW_KINDS = {COMBINED: "alle tiltak samlet", SUM_OF_SINGLES: "sum av enkelttiltakene"}


def _gap_sheet(r: ReportInputs, years: tuple[int, ...]) -> pd.DataFrame:
    frames = []
    for name, proj in [
        ("referanse", r.reference),
        *((x.scenario.name, x.projection) for x in r.runs),
    ]:
        t = proj.gap_table(years=years)
        t.columns = [f"Gap {c} (årsverk)" for c in t.columns]
        t = t.reset_index().rename(columns={"group": "Utdanningsgruppe"})
        t.insert(0, "Scenario", name)
        t[SUM_ROW] = t["Utdanningsgruppe"] == dims.SUM_LABEL
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


def _effects_sheet(cmp_: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Scenario": cmp_["scenario"].astype(str),
            "År": cmp_["year"].astype("int64"),
            "Gruppe-id": cmp_["group"].astype(str),
            "Utdanningsgruppe": [lb.group_label(str(g)) for g in cmp_["group"]],
            "Endring i tilbud (årsverk)": cmp_["supply"].astype(float),
            "Endring i etterspørsel (årsverk)": cmp_["demand"].astype(float),
            "Endring i gap (årsverk)": cmp_["gap"].astype(float),
            "Rad": cmp_["scenario"].map(ROW_KINDS).fillna("enkelttiltak"),
            SUM_ROW: cmp_["group"].astype(str) == dims.SUM_LABEL,
        }
    )


def _services_sheet(projs: list[Projection]) -> pd.DataFrame:
    frames = []
    for p in projs:
        labels = dict(zip(p.inputs.services, p.inputs.service_labels, strict=True))
        cells = (
            p.services().groupby(["year", "service"], sort=False, as_index=False)["demand"].sum()
        )
        frames.append(
            pd.DataFrame(
                {
                    "Scenario": p.scenarios[0],
                    "År": cells["year"].astype("int64"),
                    "Tjenesteområde-id": cells["service"].astype(str),
                    "Tjenesteområde": [labels.get(str(s), str(s)) for s in cells["service"]],
                    "Etterspørsel (årsverk)": cells["demand"].astype(float),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _drivers_sheet(
    r: ReportInputs, projs: list[Projection], years: tuple[int, ...]
) -> pd.DataFrame:
    frames = []
    for p in projs:
        d = r.decompose(p)
        d = d[d.year.isin(years)]
        frames.append(
            pd.DataFrame(
                {
                    "Scenario": p.scenarios[0],
                    "År": d["year"].astype("int64"),
                    "Gruppe-id": d["group"].astype(str),
                    "Utdanningsgruppe": [lb.group_label(str(g)) for g in d["group"]],
                    "Driver": d["driver"].astype(str),
                    "Forklaring": d["label"].astype(str),
                    "Bidrag til gapet (årsverk)": d["value"].astype(float),
                    SUM_ROW: d["group"].astype(str) == dims.SUM_LABEL,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _uncertainty_sheet(sim: Any) -> pd.DataFrame:
    q = sim.quantiles()
    q = q[q.variable == "gap"]
    return pd.DataFrame(
        {
            "Scenario": str(sim.scenario),
            "År": q["year"].astype("int64"),
            "Gruppe-id": q["group"].astype(str),
            "Utdanningsgruppe": [lb.group_label(str(g)) for g in q["group"]],
            "Gap 5 % (årsverk)": q["q05"].astype(float),
            "Gap 25 % (årsverk)": q["q25"].astype(float),
            "Gap median (årsverk)": q["q50"].astype(float),
            "Gap 75 % (årsverk)": q["q75"].astype(float),
            "Gap 95 % (årsverk)": q["q95"].astype(float),
            SUM_ROW: q["group"].astype(str) == dims.SUM_LABEL,
        }
    )


def _provenance_sheet(r: ReportInputs) -> pd.DataFrame:
    p = r.provenance
    rows = [
        ("Program", f"helsemodlite {p.version}"),
        ("Kommando", p.command),
        ("Inndata", lb.inputs_label(p.inputs_label)),
        *((f"Innstilling: {k}", str(v)) for k, v in p.settings.items()),
        *((f"Bibliotek: {k}", v) for k, v in p.environment.items()),
        *(
            (
                f"Scenario: {x.scenario.name}",
                f"{x.scenario.title} (grunnlag: {x.scenario.baseline})",
            )
            for x in r.runs
        ),
        ("Kalibrering", str(p.calibration.get("calibration"))),
        ("Kalibrering tilpasset", str(p.calibration_record.get("fitted_on", "–"))),
        *((f"SHA-256: {f}", h) for f, h in p.file_hashes.items()),
        ("Fortegn", lb.GAP_CONVENTION),
    ]
    return pd.DataFrame({"Felt": [k for k, _ in rows], "Verdi": [v for _, v in rows]})


def _sheets(r: ReportInputs) -> list[Sheet]:
    years = _years(r)
    projs = [r.reference, *(x.projection for x in r.runs)]
    sheets = [
        Sheet("Gaptabell", _gap_sheet(r, years)),
        Sheet("Tilbud og etterspørsel", _summary_sheet(projs)),
    ]
    if r.comparison is not None:
        sheets.append(Sheet("Virkninger", _effects_sheet(r.comparison)))
    sheets.append(Sheet("Tjenesteområder", _services_sheet(projs)))
    sheets.append(Sheet("Drivere", _drivers_sheet(r, projs, (r.reference.years[0], *years))))
    if r.simulation is not None:
        sheets.append(Sheet("Usikkerhet", _uncertainty_sheet(r.simulation)))
    if r.provenance.fit is not None and "quantity" in r.provenance.fit.columns:
        sheets.append(Sheet("Kalibrering", fit_frame(r.provenance.fit), number_format="#,##0.0"))
    sheets.append(Sheet("Grunnlag", _provenance_sheet(r)))
    return sheets


def run_record(r: ReportInputs, outputs: list[str]) -> dict[str, Any]:
    """run.json of a report folder (no timestamps): enough to trace and re-run it."""
    p = r.provenance
    return {
        "helsemodlite_version": p.version,
        "kind": "report",
        "command": p.command,
        "environment": p.environment,
        "scenarios": [x.scenario.to_dict() for x in r.runs],
        "inputs_directory": p.inputs_label,
        "input_files_sha256": p.file_hashes,
        "calibration": p.calibration,
        "settings": p.settings,
        "outputs": outputs,
    }


def report_files(r: ReportInputs) -> dict[str, bytes]:
    """Every file of the report folder, as bytes: the charts, report.html, report.xlsx and
    run.json."""
    charts, files = _render_charts(r)
    title, lead = _title(r)
    files["report.html"] = render(title, lead, _sections(r, charts)).encode(
        "utf-8", "backslashreplace"
    )
    names = sorted([*files, "run.json"])
    record = json.dumps(run_record(r, names), ensure_ascii=False, indent=2) + "\n"
    files["run.json"] = record.encode("utf-8", "backslashreplace")
    return files
