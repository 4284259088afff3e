"""The report folder (helsemodlite report): the self-contained HTML file as a browser renders
it, the charts, the workbook as pandas/openpyxl read it, provenance, and the output rules
(bad input exits 2 naming what is wrong; nothing half-written; a non-empty folder that is not a
previous report is never replaced)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helsemodlite as hm
from browser import render
from helsemodlite import dims
from helsemodlite.cli import main
from helsemodlite.report.build import CHART_FILES

SCENARIOS = ["heltid_10", "avgangsalder_1", "sykefravaer_minus10"]
DRAWS = 40


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    """The issue's example: three shipped scenarios, a few draws (fast)."""
    out = tmp_path_factory.mktemp("report") / "rapport"
    assert main(["report", *SCENARIOS, "--out", str(out), "--draws", str(DRAWS)]) == 0
    return out


@pytest.fixture(scope="module")
def reference_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "ref"
    hm.write_report([], out, draws=0)
    return out


@pytest.fixture(scope="module")
def html(report_dir) -> str:
    return (report_dir / "report.html").read_text(encoding="utf-8")


def test_folder_holds_html_charts_workbook_and_record(report_dir):
    names = {p.name for p in report_dir.iterdir()}
    pngs = {n for n in names if n.endswith(".png")}
    assert {"report.html", "report.xlsx", "run.json"} <= names
    assert pngs == set(CHART_FILES.values())  # every chart, the effects and both fans
    for name in pngs:
        assert (report_dir / name).read_bytes().startswith(b"\x89PNG")
    assert not any(n.startswith(".") for n in names)  # no temporary left behind


def test_html_is_self_contained(html):
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert not re.search(r'(src|href)="(?!data:|#)', html), "an external resource"
    images = re.findall(r'<img src="([^"]{0,30})', html)
    assert len(images) == len(CHART_FILES) and all(
        i.startswith("data:image/png;base64,") for i in images
    )
    assert "default-src 'none'" in html  # and the page says so to the browser


def test_html_says_what_a_planner_needs(html, report_dir):
    for text in (
        'lang="nb"',
        "Gapet mellom tilbud og etterspørsel",
        "negativt tall = underskudd",
        "Heltid: stillingsprosent +10 %",  # the scenario's title, from its file
        "Senere avgang: 1 år",
        "Grunnlag (baseline)",
        "shipped:heltid_10",
        "relative_change = 0.10",  # the scenario file as written
        "Tiltakenes virkning",
        "Alle tiltak samlet",
        "Sum av enkelttiltak",
        "Forskjell (samlet − sum av enkelttiltak)",
        "Kildekatalogen (sources.toml)",
        "observert",
        "antatt",
        "Kalibrering",
        "publisert mot modell",
        "Usikkerhet",
        "5–95 %",
        f"helsemodlite {hm.__version__}",
        "Sykepleier",
        "Helsesekretær (inkl. tannhelsesekretær)",
        "−42\u202f400",  # the reference Sum in 2040, in Norwegian print
        "Inndata: det innebygde standard-datasettet",
        "regularisert minste kvadraters metode",
        "Hvert tiltak alene, summen av dem og alle samlet",
    ):
        assert text in html, text
    for english in ("Inputs:", "embedded default", "regularised"):
        assert english not in html, english
    record = json.loads((report_dir / "run.json").read_text(encoding="utf-8"))
    assert record["helsemodlite_version"] == hm.__version__
    assert record["command"].startswith("helsemodlite report heltid_10 avgangsalder_1")
    assert f"--draws {DRAWS}" in record["command"]
    assert record["command"] in html.replace("&quot;", '"')
    some_hash = next(iter(record["input_files_sha256"].values()))
    assert some_hash in html
    assert [s["name"] for s in record["scenarios"]] == SCENARIOS


def test_the_gap_table_is_the_publications(html):
    ref = hm.project().gap_table()
    sykepleier_2040 = f"{round(ref.loc['Sykepleier', 2040] / 100) * 100:,}".replace(",", "\u202f")
    assert sykepleier_2040.replace("-", "\u2212") in html
    # publication order: Sykepleier first, Lege last, Sum after
    first = html.index("Scenario: Referansebane")
    block = html[html.index("<tbody>", first) : html.index("</table>", first)]
    rows = re.findall(r"<tr[^>]*><th>([^<]+)</th>", block)
    assert rows == [dims.GROUP_LABELS[g] for g in dims.PUBLICATION_ORDER] + ["Sum"]


def test_workbook_opens_with_numbers_as_numbers(report_dir):
    path = report_dir / "report.xlsx"
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == [
        "Gaptabell",
        "Tilbud og etterspørsel",
        "Virkninger",
        "Tjenesteområder",
        "Drivere",
        "Usikkerhet",
        "Kalibrering",
        "Grunnlag",
    ]
    summary = sheets["Tilbud og etterspørsel"]
    for col in ("År", "Tilbud (årsverk)", "Etterspørsel (årsverk)", "Gap (årsverk)"):
        assert pd.api.types.is_numeric_dtype(summary[col]), col
    ref = hm.project().summary()
    got = summary[(summary.Scenario == "referanse") & (summary["År"] == 2040)]
    want = ref[ref.year == 2040]
    np.testing.assert_allclose(got["Gap (årsverk)"].to_numpy(), want.gap.to_numpy(), rtol=1e-9)
    assert got["Utdanningsgruppe"].iloc[0] == "Bioingeniør"
    gap = sheets["Gaptabell"]
    years = [f"Gap {y} (årsverk)" for y in (2025, 2030, 2035, 2040)]
    sum_row = "Sumrad (ikke summer med gruppene)"
    assert list(gap.columns) == ["Scenario", "Utdanningsgruppe", *years, sum_row]
    assert set(gap.Scenario) == {"referanse", *SCENARIOS}
    # summing the groups of a sheet gives its Sum row when the marked rows are left out
    ref_gap = gap[gap.Scenario == "referanse"]
    assert ref_gap[~ref_gap[sum_row]][years[-1]].sum() == pytest.approx(
        float(ref_gap[ref_gap[sum_row]][years[-1]].iloc[0])
    )
    effects = sheets["Virkninger"]
    assert {"kombinert", "sum_enkelttiltak"} <= set(effects.Scenario)
    assert set(effects.Rad) == {"enkelttiltak", "alle tiltak samlet", "sum av enkelttiltakene"}
    assert effects[sum_row].any() and sheets["Drivere"][sum_row].any()
    assert pd.api.types.is_numeric_dtype(effects["Endring i gap (årsverk)"])
    services = sheets["Tjenesteområder"]
    assert "Institusjoner (sykehjem m.m.)" in set(services["Tjenesteområde"])
    assert pd.api.types.is_numeric_dtype(services["Etterspørsel (årsverk)"])
    provenance = dict(zip(sheets["Grunnlag"].Felt, sheets["Grunnlag"].Verdi, strict=True))
    assert provenance["Program"] == f"helsemodlite {hm.__version__}"
    assert any(k.startswith("SHA-256: model/") for k in provenance)

    from openpyxl import load_workbook

    book = load_workbook(path, read_only=False)
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2", ws.title
    ws = book["Tilbud og etterspørsel"]
    assert ws["E2"].data_type == "n" and isinstance(ws["E2"].value, float)
    assert ws["E1"].value == "Tilbud (årsverk)"


def test_reference_report_and_reproducible_bytes(reference_dir, tmp_path, monkeypatch):
    names = {p.name for p in reference_dir.iterdir()}
    assert "tiltak.png" not in names and "usikkerhet.png" not in names  # no scenario, no draws
    html = (reference_dir / "report.html").read_text(encoding="utf-8")
    assert "Referansebanen (ingen scenarier)" in html and "Tiltakenes virkning" not in html
    # the same command in two places gives the same bytes, every file (no timestamps)
    folders = []
    for where in ("a", "b"):
        (tmp_path / where).mkdir()
        monkeypatch.chdir(tmp_path / where)
        hm.write_report([], "rapport", draws=0)
        folders.append(tmp_path / where / "rapport")
    for name in names:
        assert (folders[0] / name).read_bytes() == (folders[1] / name).read_bytes(), name


def test_report_renders_in_chromium(report_dir, tmp_path):
    page = render(report_dir / "report.html")
    assert page.console_errors == []
    assert page.requests == []
    assert page.title.startswith("Helsepersonell 2024–2040")
    from PIL import Image

    shot = Image.open(io.BytesIO(page.screenshot)).convert("L")
    values = np.asarray(shot, dtype=float)
    assert values.std() > 20, "blank screenshot"
    assert (values < 128).mean() > 0.01, "no text or charts visible"
    (tmp_path / "report.png").write_bytes(page.screenshot)


def test_a_scenario_file_and_a_dict(tmp_path):
    scen = tmp_path / "mitt.toml"
    scen.write_text(
        'title = "Mitt scenario"\ndescription = "Færre sykefravær."\nbaseline = "referanse"\n'
        "\n[sykefravaer]\nrelative_change = -0.2\n",
        encoding="utf-8",
    )
    out = tmp_path / "r"
    given = hm.Scenario.from_dict({"stillingsprosent": {"relative_change": 0.05}}, name="fem")
    hm.write_report([str(scen), given], out, draws=0)
    html = (out / "report.html").read_text(encoding="utf-8")
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert "Mitt scenario" in html and "relative_change = -0.2" in html
    assert "gitt i Python" in html and "fem.toml" in record["command"]
    assert str(scen) in record["command"]
    one = tmp_path / "en"
    hm.write_report(["heltid_10"], one, draws=0)  # one scenario: nothing is run together
    text = (one / "report.html").read_text(encoding="utf-8")
    assert "Virkningen av hvert tiltak alene, 2040." in text and "alle samlet" not in text


def test_existing_folders_follow_the_run_convention(report_dir, tmp_path, capsys):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notater.txt").write_text("viktig", encoding="utf-8")
    assert main(["report", "--out", str(foreign), "--draws", "0"]) == 2
    err = capsys.readouterr().err
    assert "not helsemodlite outputs (notater.txt)" in err and "refusing" in err
    assert [p.name for p in foreign.iterdir()] == ["notater.txt"]
    # a run's output folder is not a report folder either
    run_out = tmp_path / "run"
    assert main(["run", "heltid_10", "--out", str(run_out), "--quiet"]) == 0
    assert main(["report", "--out", str(run_out), "--draws", "0"]) == 2
    assert (run_out / "summary.csv").exists() and not (run_out / "report.html").exists()
    # a previous report folder is replaced whole
    previous = tmp_path / "previous"
    hm.write_report([], previous, draws=0)
    (previous / "tiltak.png").write_bytes(b"old")
    assert main(["report", "--out", str(previous), "--draws", "0"]) == 0
    assert not (previous / "tiltak.png").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["heltid_1O"], "did you mean heltid_10"),
        (["heltid_10", "heltid_10"], "unique"),
        (["--year", "2070"], "outside the projection"),
        (["--horizon", "2019"], "outside the projection"),
        (["--draws", "-1"], "≥ 0"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "r"
    assert main(["report", *args, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_out_is_required(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["report", "heltid_10"])
    assert exc.value.code == 2
    assert "--out" in capsys.readouterr().err


def test_parallel_drawing_gives_the_same_bytes(tmp_path, monkeypatch):
    """The charts and the workbook are drawn in forked workers where that is safe; the bytes
    are the same as drawn in this process."""
    import sys
    import threading

    from helsemodlite.report import build

    folders = []
    for workers in ("1", "3"):
        monkeypatch.setenv(build.WORKERS_ENV, workers)
        if workers == "3" and threading.active_count() == 1 and sys.platform == "linux":
            assert build._workers(9) == 3
        (tmp_path / workers).mkdir()
        monkeypatch.chdir(tmp_path / workers)  # the same command, so the same bytes
        hm.write_report(["heltid_10"], "rapport", draws=20)
        folders.append(tmp_path / workers / "rapport")
    for name in {p.name for p in folders[0].iterdir()}:
        assert (folders[0] / name).read_bytes() == (folders[1] / name).read_bytes(), name
