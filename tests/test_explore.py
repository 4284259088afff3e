"""The live explorer (issue "A live explorer…"; docs/explore.md): controls from the declarations,
the page's logic headless (Streamlit's AppTest), and the page in headless Chromium."""

from __future__ import annotations

import os
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import helsemodlite as hm
from helsemodlite.explore.controls import (
    CONTROLLED,
    active_measures,
    hook_controls,
    scenario_dict,
    state_from_scenario,
)
from helsemodlite.scenarios.declarations import hook

APP = Path(hm.__file__).parent / "explore" / "app.py"
streamlit_testing = pytest.importorskip("streamlit.testing.v1")


@pytest.fixture(scope="module")
def inputs() -> hm.Inputs:
    return hm.load_inputs()


def test_every_control_comes_from_a_declaration(inputs: hm.Inputs) -> None:
    controls = {hc.hook: hc for hc in hook_controls(inputs)}
    assert tuple(controls) == CONTROLLED
    for hc in controls.values():
        h = hook(hc.hook)
        assert hc.timing == h.timing and hc.groups == h.groups
        for c in hc.controls:
            k = h.key(c.key)
            if c.kind == "slider":  # the declared range bounds the control
                assert (c.lo, c.hi) == k.bounds and c.lo <= c.neutral <= c.hi
    assert controls["befolkning"].controls[0].options == tuple(inputs.alternatives)
    assert controls["standardvekst"].controls[0].neutral == inputs.parameters["standard_growth"]


@pytest.mark.parametrize("name", sorted(hm.shipped_scenarios()))
def test_every_shipped_scenario_survives_loading_and_downloading(
    inputs: hm.Inputs, name: str
) -> None:
    """What the controls cannot show is kept verbatim, so the download reproduces the file."""
    sc = hm.load_scenario(hm.shipped_scenarios()[name])
    state = state_from_scenario(inputs, sc)
    again = hm.Scenario.from_dict(scenario_dict(inputs, state), name=sc.name)
    a = hm.project(sc, inputs=inputs, detail=False).gap
    b = hm.project(again, inputs=inputs, detail=False).gap
    np.testing.assert_array_equal(a, b)
    for table, value in state.locked.items():
        assert again.to_dict()[table] == value
    # the page's "Tiltak aktive": the measures, not the title or the description
    assert active_measures(scenario_dict(inputs, state)) == sum(map(bool, again.hooks().values()))


def _app(inputs_dir: str | None = None):  # type: ignore[no-untyped-def]
    if inputs_dir:
        os.environ["HELSEMODLITE_EXPLORE_INPUTS"] = inputs_dir
    at = streamlit_testing.AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception
    return at


def test_the_page_with_heltid_10s_controls_shows_the_gap_table_of_heltid_10(
    inputs: hm.Inputs,
) -> None:
    at = _app()
    before = at.dataframe[0].value
    at.slider(key="stillingsprosent.relative_change").set_value(10.0).run()
    assert not at.exception
    shown = at.dataframe[0].value["Gap nå"]
    table = hm.project("heltid_10", inputs=inputs, detail=False).gap_table()
    expected = table.map(lambda v: int(round(v / 100.0)) * 100)
    assert shown.index.tolist() == expected.index.tolist()
    assert shown.to_numpy().tolist() == expected.to_numpy().tolist()  # as gap-table prints it
    assert not before.equals(at.dataframe[0].value)
    # the scenario the page would download reproduces the projection exactly
    state = at.session_state["state"]
    text = hm.Scenario.from_dict(scenario_dict(inputs, state), name="utforsket").to_toml()
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"explore_{os.getpid()}.toml"
    path.write_text(text, encoding="utf-8")
    try:
        np.testing.assert_array_equal(
            hm.project(path, inputs=inputs, detail=False).gap,
            hm.project("heltid_10", inputs=inputs, detail=False).gap,
        )
    finally:
        path.unlink()


def test_the_page_says_what_the_command_line_says_about_its_inputs(tmp_path: Path) -> None:
    """An assumption edited since the build (model/ is used as it is) is said on the page."""
    copy = tmp_path / "inputs"
    hm.export_inputs(copy)
    at = _app(str(copy))
    assert not [w for w in at.warning if "changed since model/ was built" in w.value]
    moves = copy / "assumptions" / "supply_transitions.csv"
    moves.write_text(moves.read_text() + "\n# edited\n")
    try:
        at = _app(str(copy))
        assert any(
            "supply_transitions.csv changed since model/ was built" in w.value for w in at.warning
        )
    finally:
        os.environ.pop("HELSEMODLITE_EXPLORE_INPUTS", None)


def test_groups_and_start_year_reach_the_scenario(inputs: hm.Inputs) -> None:
    at = _app()
    at.slider(key="utdanningskapasitet.relative_change").set_value(20.0)
    at.slider(key="utdanningskapasitet.start").set_value(2028)
    at.checkbox(key="utdanningskapasitet.alle").uncheck().run()
    at.multiselect(key="utdanningskapasitet.grupper").set_value(["sykepleier"]).run()
    d = scenario_dict(inputs, at.session_state["state"])
    assert d["utdanningskapasitet"] == {
        "grupper": {"sykepleier": {"relative_change": 0.2, "start_year": 2028}}
    }
    change = at.dataframe[0].value["Endring"]
    assert change.loc["Sykepleier", 2040] > 0 and change.loc["Lege", 2040] == 0


# --------------------------------------------------------------------------------------------
# In a browser
# --------------------------------------------------------------------------------------------


def _chromium() -> str:
    from browser import chromium

    return chromium()


def _sum_2040(scenario: str | None) -> str:
    """The Sum's 2040 gap as the page's metric shows it."""
    proj = hm.project(scenario, detail=False)
    text = f"{proj.gap[0][proj.years.index(2040)].sum():,.0f}".replace(",", " ")
    return text.replace("-", "−")


def test_the_page_in_chromium_moves_and_stays_local(tmp_path: Path) -> None:
    exe = _chromium()
    sync = pytest.importorskip("playwright.sync_api")
    from helsemodlite.explore.serve import free_port, start

    port = free_port()
    proc = start(port, None)
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(120):
            try:
                urllib.request.urlopen(url + "_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        outside: list[str] = []
        errors: list[str] = []
        with sync.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=exe,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page.on(
                "request",
                lambda r: (
                    None
                    if r.url.startswith(
                        (f"http://127.0.0.1:{port}", "ws://127.0.0.1", "data:", "blob:")
                    )
                    else outside.append(r.url)
                ),
            )
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(url)
            metric = page.get_by_test_id("stMetricValue").first
            metric.wait_for(timeout=60_000)
            first = metric.inner_text()
            page.get_by_text("Stillingsprosent", exact=True).click()
            slider = page.get_by_role("slider").first
            slider.focus()
            for _ in range(10):
                slider.press("ArrowRight")
            shown = "m => document.querySelector('[data-testid=stMetricValue]').innerText === m"
            page.wait_for_function(shown, arg=_sum_2040("heltid_10"), timeout=30_000)  # +10 %
            moved = metric.inner_text()
            # loading a scenario file sets the controls: avgangsalder_1's 2040 gap on screen
            page.locator("input[type=file]").set_input_files(
                str(hm.shipped_scenarios()["avgangsalder_1"])
            )
            page.wait_for_function(shown, arg=_sum_2040("avgangsalder_1"), timeout=30_000)
            loaded = metric.inner_text()
            # the downloads are made when clicked (no rerun): two in a row both arrive
            got = {}
            for label in ("Gaptabell (CSV)", "Scenario (TOML)"):
                with page.expect_download(timeout=30_000) as d:
                    page.get_by_text(label, exact=True).click()
                got[label] = Path(d.value.path()).read_bytes()
            shot = page.screenshot(full_page=True)
            (tmp_path / "explore.png").write_bytes(shot)
            browser.close()
        assert first == _sum_2040(None) and first.startswith("−42 3")  # the reference
        assert moved == _sum_2040("heltid_10") != first
        assert loaded == _sum_2040("avgangsalder_1")
        assert got["Gaptabell (CSV)"].startswith(",Gap nå".encode())
        assert b"avgangsalder" in got["Scenario (TOML)"]
        assert not outside, outside
        assert not errors, errors
        assert len(shot) > 20_000  # a page with tables and charts, not a blank one
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_explore_refuses_a_bad_port_or_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    from helsemodlite.cli import main

    assert main(["explore", "--port", "0"]) == 2
    assert "--port must be 1-65535" in capsys.readouterr().err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        taken = s.getsockname()[1]
        assert main(["explore", "--port", str(taken)]) == 2
    assert "already in use" in capsys.readouterr().err
    assert main(["explore", "--inputs", str(tmp_path / "nowhere")]) == 2


def test_states_the_controls_reach_stay_valid_scenarios(inputs: hm.Inputs) -> None:
    from helsemodlite.explore.controls import neutral_state

    state = neutral_state(inputs)
    state.values[("friskere_aldring", "strength")] = 2.3
    state.values[("friskere_aldring", "enabled")] = False  # strength has no effect then
    assert scenario_dict(inputs, state)["friskere_aldring"] == {"enabled": False}
    hm.Scenario.from_dict(scenario_dict(inputs, state), name="x")
    early = hm.Scenario.from_dict(
        {"description": "mine", "stillingsprosent": {"relative_change": 0.1, "start_year": 2024}},
        name="early",
    )
    loaded = state_from_scenario(inputs, early)
    assert "stillingsprosent" in loaded.locked  # the slider starts in 2025: kept as it is
    assert scenario_dict(inputs, loaded)["description"] == "mine"
