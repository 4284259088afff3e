"""The explorer page (Streamlit): ``helsemodlite explore`` runs it (docs/explore.md).

Streamlit reruns this script on every change of a control; a projection takes milliseconds, so
the page recomputes the whole scenario each time. The page logic lives in :mod:`.controls` and
the public API; this file only lays it out.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from helsemodlite import dims
from helsemodlite.api import project, resolve_inputs
from helsemodlite.errors import HelsemodliteError
from helsemodlite.explore.controls import (
    HookControls,
    State,
    active_measures,
    hook_controls,
    neutral_state,
    scenario_dict,
    state_from_scenario,
)
from helsemodlite.numformat import number
from helsemodlite.scenarios.files import Scenario, load_scenario

INPUTS_ENV = "HELSEMODLITE_EXPLORE_INPUTS"
YEARS = (2025, 2030, 2035, 2040)


@st.cache_resource
def _inputs(directory: str | None) -> Any:
    return resolve_inputs(directory)


def _input_notes(directory: str | None) -> list[str]:
    """The inputs directory's notes (model/ older than its assumptions, a calibration fitted
    on other inputs), computed again only when a file changed."""
    import hashlib

    from helsemodlite.io.build_record import files_stamp
    from helsemodlite.io.read import default_inputs_dir

    root = Path(directory) if directory else default_inputs_dir()
    model = sorted(_inputs(directory).file_hashes.items())  # model/ and calibration/
    # one text key (file names the system gave undecoded cannot be hashed by Streamlit)
    key = hashlib.sha256(repr((files_stamp(root), model)).encode("utf-8", "backslashreplace"))
    return _notes_of(directory, str(root), key.hexdigest())


@st.cache_data
def _notes_of(directory: str | None, root: str, key: str) -> list[str]:
    from helsemodlite.io.build_record import build_note
    from helsemodlite.io.read import calibration_note

    notes = [build_note(Path(root)), calibration_note(_inputs(directory))]
    return [n for n in notes if n]


@st.cache_resource
def _reference(directory: str | None) -> Any:
    return project(inputs=_inputs(directory), detail=False)


def _state() -> State:
    if "state" not in st.session_state:
        st.session_state.state = neutral_state(_inputs(os.environ.get(INPUTS_ENV)))
    return st.session_state.state


def _load(upload: Any, inputs: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (upload.name or "scenario.toml")
        path.write_bytes(upload.getvalue())
        st.session_state.upload_path = path
        sc = load_scenario(path)
    state = state_from_scenario(inputs, sc)
    st.session_state.state = state
    for (table, key), value in state.values.items():  # the widgets show the loaded values
        st.session_state[f"{table}.{key}"] = _shown(table, key, value)
    for table in state.groups:
        st.session_state[f"{table}.alle"] = state.groups[table] is None
        st.session_state[f"{table}.grupper"] = state.groups[table] or []
        st.session_state[f"{table}.start"] = state.start[table] or inputs.years[1]


def _shown(table: str, key: str, value: Any) -> Any:
    for hc in hook_controls(_inputs(os.environ.get(INPUTS_ENV))):
        for c in hc.controls:
            if (c.hook, c.key) == (table, key) and c.percent:
                return float(value) * 100.0
    return value


def _controls(hc: HookControls, state: State, inputs: Any) -> None:
    locked = hc.hook in state.locked
    with st.sidebar.expander(hc.title + (" (satt i fila)" if locked else ""), expanded=False):
        if locked:
            st.caption(
                "Satt i den innlastede fila på en måte kontrollene ikke viser (årsbane, flere "
                "nøkler eller ulike verdier per gruppe); beholdes uendret i nedlastingen."
            )
        for c in hc.controls:
            wkey = f"{c.hook}.{c.key}"
            value = state.values[(c.hook, c.key)]
            if c.kind == "slider":
                assert c.lo is not None and c.hi is not None and c.step is not None
                scale = 100.0 if c.percent else 1.0
                unit = " %" if c.percent else (" år" if c.unit == "years" else "")
                fmt = ("%.1f" if c.step * scale < 1 else "%.0f") + unit.replace("%", "%%")
                got = st.slider(
                    c.label,
                    min_value=c.lo * scale,
                    max_value=c.hi * scale,
                    step=c.step * scale,
                    format=fmt,
                    key=wkey,
                    disabled=locked,
                    **_initial(wkey, float(value) * scale),
                )
                state.values[(c.hook, c.key)] = round(got / scale, 6)
            elif c.kind == "checkbox":
                state.values[(c.hook, c.key)] = st.checkbox(
                    c.label, key=wkey, disabled=locked, **_initial(wkey, bool(value))
                )
            else:
                state.values[(c.hook, c.key)] = st.selectbox(
                    c.label,
                    c.options,
                    key=wkey,
                    disabled=locked,
                    **_initial(wkey, c.options.index(value), name="index"),
                )
        if hc.timing:
            first, last = inputs.years[1], inputs.years[-1]
            state.start[hc.hook] = st.slider(
                "fra år",
                first,
                last,
                key=f"{hc.hook}.start",
                disabled=locked,
                **_initial(f"{hc.hook}.start", int(state.start[hc.hook] or first)),
            )
        if hc.groups:
            every = st.checkbox(
                "alle grupper",
                key=f"{hc.hook}.alle",
                disabled=locked,
                **_initial(f"{hc.hook}.alle", state.groups[hc.hook] is None),
            )
            if every:
                state.groups[hc.hook] = None
            else:
                chosen = st.multiselect(
                    "grupper",
                    list(inputs.groups),
                    format_func=dims.group_label,
                    key=f"{hc.hook}.grupper",
                    disabled=locked,
                    **_initial(f"{hc.hook}.grupper", state.groups[hc.hook] or [], name="default"),
                )
                state.groups[hc.hook] = chosen if set(chosen) != set(inputs.groups) else None
                if not chosen:
                    st.caption("Ingen grupper valgt: tiltaket virker ikke.")


def _initial(key: str, value: Any, name: str = "value") -> dict[str, Any]:
    """A widget's starting value, unless the session already holds one (a loaded file sets
    the session; giving both makes Streamlit warn on the page)."""
    return {} if key in st.session_state else {name: value}


def _table(proj: Any, ref: Any) -> pd.DataFrame:
    """The gap table in the publication's layout, rounded to the nearest 100 as
    ``helsemodlite gap-table`` prints it: now, the reference and the change."""
    years = [y for y in YEARS if y in proj.years]
    now, before = proj.gap_table(years=years), ref.gap_table(years=years)
    out = pd.concat({"Gap nå": now, "Referanse": before, "Endring": now - before}, axis=1)
    return out.map(lambda v: int(round(v / 100.0)) * 100)


def main() -> None:
    st.set_page_config(page_title="helsemodlite – utforsk", layout="wide")
    directory = os.environ.get(INPUTS_ENV)
    inputs = _inputs(directory)
    ref = _reference(directory)
    state = _state()
    st.sidebar.title("Tiltak og forutsetninger")
    upload = st.sidebar.file_uploader("Last inn et scenario (TOML)", type=["toml"])
    if upload is not None and st.session_state.get("loaded") != upload.file_id:
        try:
            _load(upload, inputs)
            st.session_state.loaded = upload.file_id
            state = st.session_state.state
        except HelsemodliteError as exc:  # name the file as the user knows it
            st.sidebar.error(
                str(exc).replace(str(st.session_state.get("upload_path", "")), upload.name)
            )
    for side, heading in (("tilbud", "Tilbud"), ("etterspørsel", "Etterspørsel")):
        st.sidebar.subheader(heading)
        for hc in hook_controls(inputs):
            if hc.side == side:
                _controls(hc, state, inputs)
    extra = [t for t in state.locked if t not in {hc.hook for hc in hook_controls(inputs)}]
    try:
        sc = Scenario.from_dict(scenario_dict(inputs, state), name="utforsket")
        proj = project(sc, inputs=inputs, detail=False)
    except HelsemodliteError as exc:
        st.error(str(exc))
        return
    st.title("Gap mellom tilbud og etterspørsel")
    st.caption(
        "Årsverk, tilbud − etterspørsel (negativt = underskudd), 14 utdanningsgrupper. "
        "Referansen er Helsepersonellplanens referansebane."
    )
    if extra:
        st.info("Satt i fila uten kontroll her (beholdes): " + ", ".join(extra))
    for note in [*_input_notes(directory), *proj.notes]:  # what the command line says too
        st.warning(note)
    table = _table(proj, ref)
    sum_now = float(proj.gap[0, proj.years.index(2040), :].sum()) if 2040 in proj.years else 0.0
    sum_ref = float(ref.gap[0, ref.years.index(2040), :].sum()) if 2040 in ref.years else 0.0
    cols = st.columns(3)
    cols[0].metric(
        "Gap 2040, Sum",
        number(sum_now),
        number(sum_now - sum_ref) if sum_now != sum_ref else None,
    )
    cols[1].metric("Referanse 2040", number(sum_ref))
    cols[2].metric("Tiltak aktive", str(active_measures(scenario_dict(inputs, state))))
    shown = table.rename_axis("Utdanningsgruppe")
    st.dataframe(
        shown.style.format(number),
        width="stretch",
        height=36 * (len(shown) + 2) + 4,
        key="gaptable",
    )
    years = [y for y in proj.years if y <= 2040]
    yi = [proj.years.index(y) for y in years]
    paths = pd.DataFrame(
        {
            "år": years * 2,
            "bane": ["Referanse"] * len(years) + ["Nå"] * len(years),
            "gap": [*ref.gap[0][yi].sum(axis=1), *proj.gap[0][yi].sum(axis=1)],
        }
    )
    left, right = st.columns(2)
    left.subheader("Gapet år for år, Sum")
    left.altair_chart(_lines(paths), width="stretch")
    order = [g for g in dims.PUBLICATION_ORDER if g in inputs.groups]
    change = pd.DataFrame(
        {
            "gruppe": [dims.group_label(g) for g in order],
            "endring": [
                proj.gap[0, proj.years.index(2040), inputs.groups.index(g)]
                - ref.gap[0, ref.years.index(2040), inputs.groups.index(g)]
                for g in order
            ],
        }
    )
    right.subheader("Endring mot referansen 2040")
    right.altair_chart(_bars(change), width="stretch")
    if st.checkbox("Vis usikkerhet (200 trekk)", key="band"):
        from helsemodlite.api import simulate

        q = simulate(sc, draws=200, seed=0, inputs=inputs).quantiles()
        band = q[(q.group == dims.SUM_LABEL) & (q.variable == "gap") & (q.year <= 2040)]
        st.altair_chart(_band(band), width="stretch")
        st.caption("5 %, 50 % og 95 % av 200 trekk over de deklarerte usikre forutsetningene.")
    _downloads(sc, proj, table)


# Vega's axis labels with a space between thousands (Norwegian), not a comma. (A comment, not a
# string: Streamlit would show a bare string on the page.)
SPACED = "replace(format(datum.value, ',.0f'), ',', ' ')"


def _year_x(field: str) -> Any:
    import altair as alt

    return alt.X(f"{field}:Q", axis=alt.Axis(format="d", title=None))


def _gap_y() -> Any:
    import altair as alt

    return alt.Y("gap:Q", axis=alt.Axis(title="årsverk (negativt = underskudd)", labelExpr=SPACED))


def _lines(paths: pd.DataFrame) -> Any:
    import altair as alt

    return (
        alt.Chart(paths)
        .mark_line()
        .encode(
            x=_year_x("år"),
            y=_gap_y(),
            color=alt.Color(
                "bane:N",
                scale=alt.Scale(domain=["Referanse", "Nå"], range=["#888888", "#c0392b"]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            tooltip=["år", "bane", alt.Tooltip("gap:Q", format=",.0f")],
        )
    )


def _band(band: pd.DataFrame) -> Any:
    import altair as alt

    names = {"q05": "5 %", "q50": "median", "q95": "95 %"}
    long = band.melt(id_vars="year", value_vars=list(names), var_name="q", value_name="gap")
    long = long.assign(kvantil=long.q.map(names))
    return (
        alt.Chart(long)
        .mark_line()
        .encode(
            x=_year_x("year"),
            y=_gap_y(),
            color=alt.Color(
                "kvantil:N",
                scale=alt.Scale(
                    domain=list(names.values()), range=["#7fb3d5", "#1f4e79", "#7fb3d5"]
                ),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            strokeDash=alt.condition(
                "datum.kvantil == 'median'", alt.value([1, 0]), alt.value([4, 3])
            ),
        )
    )


def _bars(change: pd.DataFrame) -> Any:
    """Horizontal bars in the publication's group order (Streamlit's own chart sorts them)."""
    import altair as alt

    return (
        alt.Chart(change)
        .mark_bar()
        .encode(
            x=alt.X(
                "endring:Q", axis=alt.Axis(title="endring i gapet 2040, årsverk", labelExpr=SPACED)
            ),
            y=alt.Y("gruppe:N", sort=None, title=None),
            color=alt.condition("datum.endring < 0", alt.value("#c0392b"), alt.value("#2e86c1")),
            tooltip=["gruppe", alt.Tooltip("endring:Q", format=",.0f")],
        )
    )


DEFERRED = tuple(int(v) for v in st.__version__.split(".")[:2]) >= (1, 52)
"""Streamlit takes a callable as a download's data (made when clicked) from 1.52."""


def _download(where: Any, label: str, make: Callable[[], Any], name: str, mime: str) -> None:
    """A download button whose contents are made when it is clicked, not on every rerun:
    faster replies, and no file of an earlier rerun that the browser may still ask for after
    the next has replaced it (a 404 in the console). A click does not rerun the page (which
    would retire the other buttons' callables under a second click). Older Streamlit gets the
    contents at once."""
    if DEFERRED:
        where.download_button(label, make, name, mime, on_click="ignore")
    else:
        where.download_button(label, make(), name, mime)


def _xlsx(table: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter") as xw:
        table.to_excel(xw, sheet_name="Gaptabell")
    return buf.getvalue()


def _downloads(sc: Scenario, proj: Any, table: pd.DataFrame) -> None:
    st.subheader("Last ned")
    c1, c2, c3, c4 = st.columns(4)
    toml = sc.to_toml()  # made now: the file the controls describe at this rerun
    _download(c1, "Scenario (TOML)", lambda: toml, "utforsket.toml", "application/toml")
    csv = table.to_csv().encode("utf-8")
    _download(c2, "Gaptabell (CSV)", lambda: csv, "gaptabell.csv", "text/csv")
    xlsx_mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    _download(c3, "Gaptabell (xlsx)", lambda: _xlsx(table), "gaptabell.xlsx", xlsx_mime)
    if c4.toggle("Lag figur (PNG)", key="png"):  # matplotlib only when asked: keeps replies fast
        from helsemodlite.report import plot

        ref = _reference(os.environ.get(INPUTS_ENV))

        def png() -> bytes:
            return plot.png(plot.gap_paths([ref, proj], groups=[dims.SUM_LABEL]))

        _download(c4, "Figur (PNG)", png, "gap.png", "image/png")


np.seterr(all="ignore")
main()
