"""Refreshing inputs from SSB's StatBank API (issue "Data refresh from SSB's open StatBank API";
docs/data.md). Offline: the HTTP layer is mocked with respx on hand-built, synthetic JSON-stat2
fixtures in SSB's structure (tests/fixtures/statbank/); the live API only with
HELSEMODLITE_NETWORK=1."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
import respx

import helsemodlite as hm
from helsemodlite.cli import main
from helsemodlite.data.statbank import client as client_mod
from helsemodlite.data.statbank.client import Client, split
from helsemodlite.data.statbank.jsonstat import parse
from helsemodlite.data.statbank.update import fetch, plan, tidy, write

FIX = Path(__file__).parent / "fixtures" / "statbank"
BASE = "https://data.ssb.no/api/pxwebapi/v2"
SOURCE = "population_norway_1jan_2024_2026_single_age_sex.csv"


def load(name: str) -> Any:
    return json.loads((FIX / name).read_text(encoding="utf-8"))


def _import_fixture(mine: Path, name: str, table: str = "07459") -> int:
    """``helsemodlite inputs import`` of a committed fixture into ``mine``."""
    return main(["inputs", "import", str(FIX / name), "--table", table, "--inputs", str(mine)])


def subset(doc: dict[str, Any], selection: list[dict[str, Any]]) -> dict[str, Any]:
    """The fixture's cells for a POSTed selection, as SSB would answer it."""
    ds = parse(doc, "fixture")
    want = {s["variableCode"]: s["valueCodes"] for s in selection}
    pos = [[ds.codes[d].index(c) for c in want.get(d, ds.codes[d])] for d in ds.ids]
    cube = ds.values.reshape(ds.sizes)[np.ix_(*pos)]
    out = json.loads(json.dumps(doc))
    for d, idx in zip(ds.ids, pos, strict=True):
        codes = [ds.codes[d][i] for i in idx]
        cat = out["dimension"][d]["category"]
        cat["index"] = {c: i for i, c in enumerate(codes)}
        cat["label"] = {c: cat["label"][c] for c in codes}
    out["size"] = [len(p) for p in pos]
    out["value"] = [None if np.isnan(v) else v for v in cube.ravel().tolist()]
    return out


def serve(
    mock: respx.MockRouter,
    table: str,
    *,
    meta: Any = None,
    info: Any = None,
    limit: int | None = None,
) -> respx.Route:
    mock.get(f"/tables/{table}").respond(json=info or load(f"{table}_table.json"))
    mock.get(f"/tables/{table}/metadata").respond(json=meta or load(f"{table}_metadata.json"))
    data = load(f"{table}_data.json")

    def answer(request: httpx.Request) -> httpx.Response:
        sel = json.loads(request.content)["selection"]
        n = int(np.prod([len(s["valueCodes"]) for s in sel]))
        if limit is not None and n > limit:
            return httpx.Response(
                400,
                json={"type": "Parameter error", "title": "Too many cells selected", "status": 400},
            )
        return httpx.Response(200, json=subset(data, sel))

    return mock.post(f"/tables/{table}/data").mock(side_effect=answer)


@pytest.fixture()
def mine(tmp_path: Path) -> Path:
    d = tmp_path / "mine"
    hm.export_inputs(d)
    return d


@pytest.fixture()
def quick(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """No spacing between requests; waits are recorded, not slept."""
    waits: list[float] = []
    monkeypatch.setattr(client_mod, "MIN_INTERVAL", 0.0)
    monkeypatch.setattr(client_mod.time, "sleep", waits.append)
    return waits


NOW = __import__("datetime").datetime(2026, 12, 2, tzinfo=__import__("datetime").UTC)


def test_a_fixture_of_the_committed_07459_rebuilds_the_source_file_exactly(mine: Path) -> None:
    before = (mine / "sources" / SOURCE).read_bytes()
    catalogue = (mine / "sources.toml").read_text(encoding="utf-8")
    assert _import_fixture(mine, "07459_data.json", "07459") == 0
    assert (mine / "sources" / SOURCE).read_bytes() == before
    manifest = json.loads(
        (mine / "sources/statbank/07459/manifest.json").read_text(encoding="utf-8")
    )
    assert manifest["table_id"] == "07459" and manifest["updated"] == "2026-02-25T07:00:00Z"
    assert manifest["cells"] == 2 * 106 * 3 and manifest["source_file"] == f"sources/{SOURCE}"
    assert set(manifest["sha256"]) >= {f"sources/{SOURCE}", "sources/statbank/07459/data-1.json"}
    new_catalogue = (mine / "sources.toml").read_text(encoding="utf-8")
    assert new_catalogue.count("[[source]]") == catalogue.count("[[source]]")
    assert "Imported by hand from 07459_data.json" in new_catalogue
    assert 'reference_date = "2024-01-01, 2025-01-01, 2026-01-01"' in new_catalogue
    assert main(["inputs", "build", "--check", "--inputs", str(mine)]) == 0


def test_update_fetches_in_extracts_and_writes_raw_answers_manifest_and_source(
    mine: Path, quick: list[float]
) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        route = serve(mock, "07459")
        c = Client(max_cells=250)
        items = plan(c, ["07459"], NOW)
        assert items[0].warnings == []
        fetch(c, items)
        assert route.call_count == len(split(items[0].selection, 250)) > 1
        assert len(tidy(items[0])) == 636
        written = write(mine, items[0], NOW)
    assert f"sources/{SOURCE}" in written and "sources.toml" in written
    assert (mine / "sources/statbank/07459/data-3.json").is_file()
    assert (mine / "sources" / SOURCE).read_bytes() == (
        hm.default_inputs_dir() / "sources" / SOURCE
    ).read_bytes()


def test_too_many_cells_is_split_and_429_waits_as_told(mine: Path, quick: list[float]) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        serve(mock, "07459", limit=400)
        c = Client()
        items = plan(c, ["07459"], NOW)
        fetch(c, items)
        assert len(items[0].docs) == 2 and len(tidy(items[0])) == 636
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        calls = iter(
            [
                httpx.Response(429, headers={"Retry-After": "7"}),
                httpx.Response(200, json=load("07459_table.json")),
            ]
        )
        mock.get("/tables/07459").mock(side_effect=lambda r: next(calls))
        assert Client().table("07459")["id"] == "07459"
    assert 7.0 in quick
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.get("/tables/07459").mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(hm.InputError, match="no answer from"):
            Client(timeout=5).table("07459")
        mock.get("/tables/99999").respond(
            404, json={"type": "Parameter error", "title": "Non-existent table", "status": 404}
        )
        with pytest.raises(hm.InputError, match="404 .Non-existent table"):
            Client().table("99999")


def test_a_changed_table_is_refused_and_nothing_is_written(
    mine: Path, quick: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    meta = load("07459_metadata.json")
    del meta["dimension"]["Alder"]["category"]["index"]["105+"]
    meta["size"][2] -= 1
    before = {p: p.read_bytes() for p in mine.rglob("*") if p.is_file()}
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        serve(mock, "07459", meta=meta)
        assert main(["inputs", "update", "--inputs", str(mine), "--table", "07459"]) == 2
    err = capsys.readouterr().err
    assert "codes of Alder changed" in err and "105+" in err
    assert {p: p.read_bytes() for p in mine.rglob("*") if p.is_file()} == before
    meta = load("07459_metadata.json")
    meta["id"].insert(1, "Landbakgrunn")
    meta["size"].insert(1, 1)
    meta["dimension"]["Landbakgrunn"] = {
        "label": "x",
        "category": {"index": {"A": 0}, "label": {"A": "A"}},
    }
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        serve(mock, "07459", meta=meta)
        with pytest.raises(hm.InputError, match="new Landbakgrunn"):
            plan(Client(), ["07459"], NOW)


def test_discontinued_and_stale_tables_are_warned_and_dry_run_fetches_nothing(
    mine: Path, quick: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    info = {**load("07459_table.json"), "discontinued": True, "updated": "2023-02-20T07:00:00Z"}
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        route = serve(mock, "07459", info=info)
        assert (
            main(["inputs", "update", "--inputs", str(mine), "--table", "07459", "--dry-run"]) == 0
        )
        assert route.call_count == 0
    out = capsys.readouterr().out
    assert "636 cells in 1 extract(s)" in out and "discontinued" in out and "may be frozen" in out
    assert not (mine / "sources" / "statbank").exists()


def test_refusals(mine: Path, capsys: pytest.CaptureFixture[str]) -> None:
    emb = str(hm.default_inputs_dir())
    assert (
        main(
            ["inputs", "import", str(FIX / "07459_data.json"), "--table", "07459", "--inputs", emb]
        )
        == 2
    )
    assert "embedded data set is never changed" in capsys.readouterr().err
    assert _import_fixture(mine, "07459_data.json", "13599") == 2
    assert "not supported yet" in capsys.readouterr().err
    assert _import_fixture(mine, "07902_data.json", "07459") == 2
    assert "holds table 07902" in capsys.readouterr().err
    bad = mine.parent / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["inputs", "import", str(bad), "--table", "07459", "--inputs", str(mine)]) == 2
    assert "not a JSON-stat2 file" in capsys.readouterr().err
    doc = load("07459_data.json")
    doc["value"][5] = None
    doc["status"] = {"5": ".."}
    bad.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["inputs", "import", str(bad), "--table", "07459", "--inputs", str(mine)]) == 2
    assert "have no value" in capsys.readouterr().err and "'..'" in capsys.readouterr().err + "'..'"


def test_a_table_the_build_does_not_use_yet_gets_its_own_catalogue_entry(mine: Path) -> None:
    assert _import_fixture(mine, "07902_data.json", "07902") == 0
    text = (mine / "sources.toml").read_text(encoding="utf-8")
    assert 'role = "ssb_life_tables"' in text
    assert (mine / "sources" / "ssb_07902_life_tables_2024_2025.csv").is_file()
    assert main(["inputs", "check", "--inputs", str(mine)]) == 0


def test_diff_shows_files_rows_and_the_gap(
    mine: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = tmp_path / "new"
    shutil.copytree(mine, new)
    doc = load("07459_data.json")
    # 2024: 100 more people of each sex at every age 85-95 and 100 fewer at 20-30 (the totals
    # stay those the projection's national totals start from)
    for k in range(2):
        for a in range(85, 96):
            doc["value"][(k * 106 + a) * 3] += 100
            doc["value"][(k * 106 + a - 65) * 3] -= 100
    f = tmp_path / "more.json"
    f.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["inputs", "import", str(f), "--table", "07459", "--inputs", str(new)]) == 0
    assert main(["inputs", "build", "--inputs", str(new)]) == 0
    capsys.readouterr()
    assert main(["inputs", "diff", str(mine), str(new), "--years", "2030", "2040"]) == 0
    out = capsys.readouterr().out
    revised = SOURCE.replace(".csv", "_ssb2026-02-25.csv")  # a new vintage beside the old one
    assert f"ny      sources/{revised}" in out and "verdier endret" in out
    assert f"sources/{SOURCE}" not in out and "endret  sources.toml" in out
    assert (
        "endret  model/population.csv" in out
        and "ny      sources/statbank/07459/manifest.json" in out
    )
    assert "Referansebanens gap 2040: gammel og ny" in out and "endring" in out
    assert "Kalibrering: hver mappes lagrede kalibrering (keep)" in out
    # --calibration refit: both directories pinned to the published targets again, in memory
    before = _snapshot(new)
    kept = {y: hm.project(inputs=new, detail=False).gap_table(years=(2040,))[y] for y in (2040,)}
    from helsemodlite.data.calibrate import refitted_inputs

    refit = hm.project(inputs=refitted_inputs(new), detail=False).gap_table(years=(2040,))[2040]
    published = hm.project(inputs=mine, detail=False).gap_table(years=(2040,))[2040]
    assert (refit - published).abs().max() < (kept[2040] - published).abs().max()
    assert main(["inputs", "diff", str(mine), str(new), "--calibration", "refit"]) == 0
    out = capsys.readouterr().out
    assert "kalibreringen tilpasset på nytt for hver mappe (de publiserte målene)" in out
    assert _snapshot(new) == before  # nothing written
    assert main(["inputs", "diff", str(mine), str(new), "--targets", "x.csv"]) == 2
    assert "--targets goes with --calibration refit" in capsys.readouterr().err


@pytest.mark.skipif(
    os.environ.get("HELSEMODLITE_NETWORK") != "1",
    reason="needs the network: HELSEMODLITE_NETWORK=1",
)
def test_live_dry_run() -> None:  # pragma: no cover - network
    assert main(["inputs", "update", "--dry-run"]) == 0


def _snapshot(d: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in d.rglob("*") if p.is_file()}


def _import(mine: Path, doc: dict[str, Any], name: str = "x.json") -> int:
    f = mine.parent / name
    f.write_text(json.dumps(doc), encoding="utf-8")
    return main(["inputs", "import", str(f), "--table", "07459", "--inputs", str(mine)])


def test_hostile_imports_change_nothing(mine: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(mine)
    negative = load("07459_data.json")
    negative["value"][5] = -1000
    assert _import(mine, negative) == 2
    assert "not a count of persons" in capsys.readouterr().err
    fraction = load("07459_data.json")
    fraction["value"][5] = 12.7
    assert _import(mine, fraction) == 2
    odd = load("07459_data.json")
    odd["dimension"]["Tid"]["category"]["index"] = {'2024"\n[evil]': 0, "2025": 1, "2026": 2}
    odd["dimension"]["Tid"]["category"]["label"] = {'2024"\n[evil]': "x", "2025": "x", "2026": "x"}
    assert _import(mine, odd) == 2
    assert "must be years" in capsys.readouterr().err
    size = load("07459_data.json")
    size["size"] = 5
    assert _import(mine, size) == 2
    assert _import(mine, load("07459_metadata.json")) == 2
    assert "a metadata response" in capsys.readouterr().err
    # consistent on its own, but its 2024 total no longer matches the projection totals the
    # build starts from: the build's check refuses it, and every file is put back
    bigger = load("07459_data.json")
    bigger["value"] = [v + 1 for v in bigger["value"]]
    assert _import(mine, bigger) == 2
    assert "does not fit the rest" in capsys.readouterr().err
    assert _snapshot(mine) == before
    assert not list(mine.glob(".statbank-*")) and not (mine / "sources" / "statbank").exists()


def test_the_catalogue_is_parsed_not_trusted(
    mine: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cat = mine / "sources.toml"
    text = cat.read_text(encoding="utf-8")
    text = text.replace('role = "population_base"', 'role = "population_base"  # SSB 07459', 1)
    start = text.index('note = "Age 105')
    end = text.index("\n", start)
    text = text[:start] + 'note = """two\nlines"""' + text[end:]
    cat.write_text(text, encoding="utf-8")
    assert _import_fixture(mine, "07459_data.json", "07459") == 0
    import tomllib

    entries = tomllib.loads(cat.read_text(encoding="utf-8"))["source"]
    assert len([e for e in entries if e.get("role") == "population_base"]) == 1
    cat.write_text("[[source\n" + text, encoding="utf-8")
    assert _import_fixture(mine, "07459_data.json", "07459") == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_a_new_fetch_replaces_the_old_extracts(mine: Path, quick: list[float]) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        serve(mock, "07459")
        c = Client(max_cells=250)
        items = plan(c, ["07459"], NOW)
        fetch(c, items)
        write(mine, items[0], NOW)
    assert len(list((mine / "sources/statbank/07459").glob("data-*.json"))) == 3
    assert _import_fixture(mine, "07459_data.json", "07459") == 0
    assert [p.name for p in (mine / "sources/statbank/07459").glob("data-*.json")] == [
        "data-1.json"
    ]


def test_update_and_diff_refusals(
    mine: Path, tmp_path: Path, quick: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inputs", "update"]) == 2
    assert "--inputs DIR is required" in capsys.readouterr().err
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.get("/tables/07459").respond(429, headers={"Retry-After": "1e12"})
        with pytest.raises(hm.InputError, match="asks to wait"):
            Client().table("07459")
        mock.get("/tables/07902").respond(429, headers={"Retry-After": "inf"})
        with pytest.raises(hm.InputError):
            Client().table("07902")
    assert main(["inputs", "diff", str(mine), str(mine), "--years", "2040", "2040"]) == 0
    assert main(["inputs", "diff", str(mine), str(mine), "--years", "2060"]) == 2
    assert "not projected by both" in capsys.readouterr().err


def test_a_rebuild_that_agrees_keeps_every_byte(
    mine: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fits may move a float's last digit between runs; a rebuild within the tolerance
    leaves the files (and so the calibration's hashes) as they are."""
    before = {p.name: p.read_bytes() for p in (mine / "model").iterdir()}
    assert main(["inputs", "build", "--inputs", str(mine)]) == 0
    assert {p.name: p.read_bytes() for p in (mine / "model").iterdir()} == before
    capsys.readouterr()
    assert main(["gap-table", "--inputs", str(mine)]) == 0
    assert "fitted on other inputs" not in capsys.readouterr().err


# --- StatBank CSV downloads (inputs import FILE.csv) -------------------------------------------


@pytest.mark.parametrize("name", ["07459_long_codes.csv", "07459_wide_codes_texts.csv"])
def test_a_csv_download_rebuilds_the_source_file_exactly(mine: Path, name: str) -> None:
    before = (mine / "sources" / SOURCE).read_bytes()
    assert _import_fixture(mine, name) == 0
    assert (mine / "sources" / SOURCE).read_bytes() == before
    raw = mine / "sources/statbank/07459/data-1.csv"
    assert raw.read_bytes() == (FIX / name).read_bytes()  # kept as downloaded
    manifest = json.loads(
        (mine / "sources/statbank/07459/manifest.json").read_text(encoding="utf-8")
    )
    assert manifest["cells"] == 2 * 106 * 3 and manifest["updated"] is None
    assert "sources/statbank/07459/data-1.csv" in manifest["sha256"]
    assert any("no 'updated' stamp" in w for w in manifest["warnings"])
    assert "release unknown: a CSV has no stamp" in (mine / "sources.toml").read_text("utf-8")
    assert main(["inputs", "build", "--check", "--inputs", str(mine)]) == 0
    # a later JSON-stat2 import replaces the CSV extract rather than leaving both
    assert _import_fixture(mine, "07459_data.json") == 0
    assert not raw.exists() and (mine / "sources/statbank/07459/data-1.json").is_file()


def _csv_variant(mine: Path, edit: Any, name: str = "bad.csv") -> int:
    text = (FIX / "07459_long_codes.csv").read_bytes().decode("latin-1")
    f = mine.parent / name
    f.write_bytes(edit(text).encode("latin-1"))
    return main(["inputs", "import", str(f), "--table", "07459", "--inputs", str(mine)])


def test_hostile_csv_downloads_are_refused_and_change_nothing(
    mine: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(mine)

    def texts(t: str) -> str:  # UseTexts: no codes
        return t.replace('"0";"1";', '"Hele landet";"Menn";').replace(
            '"0";"2";', '"Hele landet";"Kvinner";'
        )

    assert _csv_variant(mine, texts) == 2
    err = capsys.readouterr().err
    assert "the Region column has no code(s) '0'" in err and "outputFormat=csv" in err
    lines = (FIX / "07459_long_codes.csv").read_bytes().decode("latin-1").split("\r\n")
    drop = "\r\n".join(line for line in lines if not line.startswith('"0";"2";"050";'))
    assert _csv_variant(mine, lambda _t: drop) == 2
    assert "3 cell(s) of the table are not in the file (first: Region=0, Kjonn=2, Alder=050" in (
        capsys.readouterr().err
    )
    twice = "\r\n".join([*lines[:4], lines[3], *lines[4:]])
    assert _csv_variant(mine, lambda _t: twice) == 2
    assert "a cell comes twice" in capsys.readouterr().err
    suppressed = lines[3].rsplit(";", 1)[0] + ";.."
    assert _csv_variant(mine, lambda _t: "\r\n".join([*lines[:3], suppressed, *lines[4:]])) == 2
    assert (
        "have no value (first: Region=0, Kjonn=1, Alder=000, ContentsCode=Personer1, Tid=2024"
        in (capsys.readouterr().err)
    )
    assert _csv_variant(mine, lambda t: t.replace(";26771", ";26 771")) == 2
    assert "line 4, column 'Befolkning': must be a whole number" in capsys.readouterr().err
    # a dot as thousands separator would be 28, never 28 000: refused in a count table
    assert _csv_variant(mine, lambda t: t.replace(";28214", ";28.214")) == 2
    assert "a thousands separator?" in capsys.readouterr().err
    assert _csv_variant(mine, lambda t: t.replace('"07459:', '"07902:', 1)) == 2
    assert "the title says table 07902, not 07459" in capsys.readouterr().err
    assert _csv_variant(mine, lambda t: t.replace(";", " ")) == 2
    assert "SeparatorSpace cannot be read" in capsys.readouterr().err
    assert _csv_variant(mine, lambda t: t.replace('"105+"', '"106+"')) == 2
    assert "the codes of Alder changed (no longer: 105+; new: 106+" in capsys.readouterr().err
    assert _csv_variant(mine, lambda t: t.replace('"2024"', '"2020"')) == 2
    assert "no period 2024 (the base year)" in capsys.readouterr().err
    assert _snapshot(mine) == before
    assert not (mine / "sources" / "statbank").exists()


def test_import_url_names_the_builds_selection(capsys: pytest.CaptureFixture[str]) -> None:
    from urllib.parse import parse_qs, urlsplit

    assert main(["inputs", "import", "--table", "07459", "--url"]) == 0
    out = capsys.readouterr().out
    urls = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("  ")]
    assert len(urls) == 2
    for url in urls:
        q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert urlsplit(url).path == "/api/pxwebapi/v2/tables/07459/data"
        assert q["valueCodes[Region]"] == "0" and q["valueCodes[Kjonn]"] == "1,2"
        assert q["valueCodes[ContentsCode]"] == "Personer1" and q["valueCodes[Alder]"] == "*"
        assert q["valueCodes[Tid]"] == "from(2024)"
    csv_q = parse_qs(urlsplit(urls[1]).query)
    assert csv_q["stub"] == ["Region,Kjonn,Alder,ContentsCode,Tid"]
    assert csv_q["outputFormatParams"] == ["UseCodes,SeparatorSemicolon"]
    assert main(["inputs", "import", "--table", "07459"]) == 2
    assert "FILE and --inputs DIR are required" in capsys.readouterr().err


def test_csv_files_as_excel_leaves_them_and_other_formats(
    mine: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a planner's machine does to a download: leading zeros stripped and a separator at
    the end of every line are read back exactly; UTF-16, xlsx and HTML are named as such."""
    before = (mine / "sources" / SOURCE).read_bytes()
    text = (FIX / "07459_long_codes.csv").read_bytes().decode("latin-1")
    import re

    excel = re.sub(r';"0{1,2}(\d+)";"Personer1"', r';"\1";"Personer1"', text)
    excel = excel.replace("\r\n", ";\r\n")
    f = tmp_path / "excel.csv"
    f.write_bytes(excel.encode("latin-1"))
    assert main(["inputs", "import", str(f), "--table", "07459", "--inputs", str(mine)]) == 0
    assert (mine / "sources" / SOURCE).read_bytes() == before
    capsys.readouterr()
    snap = _snapshot(mine)
    for name, data, what in (
        ("u16.csv", text.encode("utf-16"), "UTF-16 text"),
        ("book.csv", b"PK\x03\x04rest", "an Excel workbook"),
        ("page.csv", b"<!DOCTYPE html><html>error</html>", "an HTML or XML page"),
    ):
        g = tmp_path / name
        g.write_bytes(data)
        assert main(["inputs", "import", str(g), "--table", "07459", "--inputs", str(mine)]) == 2
        assert what in capsys.readouterr().err
    assert _snapshot(mine) == snap


def test_two_revisions_of_one_day_keep_both_files(
    mine: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CSV has no release stamp, so its revised file is named by the import date: a second
    revision the same day gets its own name instead of replacing the first."""
    text = (FIX / "07459_long_codes.csv").read_bytes().decode("latin-1")
    names = []
    for k, v in enumerate(("28215", "28216")):
        f = tmp_path / f"rev{k}.csv"
        f.write_bytes(text.replace(";28214", ";" + v).encode("latin-1"))
        assert main(["inputs", "import", str(f), "--table", "07459", "--inputs", str(mine)]) == 0
        names.append(capsys.readouterr().out)
    revised = sorted(p.name for p in (mine / "sources").glob("population_norway_*_ssb*.csv"))
    assert len(revised) == 2 and revised[1].endswith("_2.csv"), revised
    assert ";28215" not in text  # the two files hold the two revisions
    contents = [(mine / "sources" / r).read_text(encoding="utf-8") for r in revised]
    assert any(",28215" in c for c in contents) and any(",28216" in c for c in contents)


def test_the_embedded_data_set_is_refused_whatever_the_environment_says(
    mine: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from helsemodlite.embedded import embedded_inputs_dir

    monkeypatch.setenv("HELSEMODLITE_INPUTS", str(mine))
    target = embedded_inputs_dir()
    before = _snapshot(target)
    code = main(
        [
            "inputs",
            "import",
            str(FIX / "07459_data.json"),
            "--table",
            "07459",
            "--inputs",
            str(target),
        ]
    )
    assert code == 2 and "the embedded data set is never changed" in capsys.readouterr().err
    assert _snapshot(target) == before
    assert _import_fixture(mine, "07459_data.json") == 0  # the user's own directory is fine
    assert main(["inputs", "import", "x.csv", "--table", "07459", "--url"]) == 2
    assert "--url only prints the download addresses" in capsys.readouterr().err


def test_ssb_nil_is_zero_and_missing_is_kept_as_missing() -> None:
    from helsemodlite.data.statbank.csvfile import _numbers

    values, status = _numbers(pd.Series(["5", "-", "..", ""]), "f.csv", "v", True, 2)
    assert values[:2].tolist() == [5.0, 0.0] and np.isnan(values[2:]).all()
    assert status.tolist() == ["", "-", "..", ""]
    with pytest.raises(Exception, match="a decimal comma"):
        _numbers(pd.Series(["0,055"]), "f.csv", "v", False, 2)


def test_inputs_diff_ranks_changes_by_size_not_by_near_zero_cells() -> None:
    """A value going 1e-6 → 0 is a −100 % change but not the largest change of a file: cells
    near zero count at 1 % of their column's largest value."""
    from helsemodlite.data.statbank.diff import csv_changes

    old = b"group,x\na,1e-06\nb,100\nc,50\n"
    new = b"group,x\na,0\nb,120\nc,50.5\n"
    (line,) = csv_changes(old, new)
    assert line.startswith("verdier endret: 3; størst: b x: 100 → 120 (+20,0 %)"), line


def test_inputs_diff_sees_only_real_changes_of_a_table_with_empty_text_cells() -> None:
    """The further-education moves have an empty origin in most rows: an empty cell equals an
    empty cell (pandas keeps it missing), and what the loader reads the same — line endings, a
    BOM, spaces around cells, quotes, the order of the columns — is no change; one changed share
    is one value changed."""
    from helsemodlite.data.statbank.diff import csv_changes

    old = b"group,origin,share\nlege,,\njordmor,sykepleier,0.08\nradiograf,,\n"
    assert csv_changes(old, old) == ("bare formatering eller kommentarer",)
    same = [
        old.replace(b"\n", b"\r\n"),
        b"\xef\xbb\xbf" + old,
        b"group , origin , share\nlege,,\n jordmor , sykepleier , 0.08 \nradiograf,,\n",
        b'group,origin,share\nlege,,\n"jordmor","sykepleier","0.08"\nradiograf,,\n',
        b"share,group,origin\n,lege,\n0.08,jordmor,sykepleier\n,radiograf,\n",
    ]
    for new in same:
        assert csv_changes(old, new) == ("bare formatering eller kommentarer",), new
    (line,) = csv_changes(old, old.replace(b"0.08", b"0.1"))
    assert line.startswith("verdier endret: 1; størst: jordmor share: 0.08 → 0.1"), line
    (line,) = csv_changes(old, old.replace(b"jordmor,sykepleier", b"jordmor,lege"))
    assert line == "verdier endret: 1", line


def test_inputs_diff_of_keys_that_grow_text_na_and_empty_cells() -> None:
    """A key that needs one more column in the new version (a second origin for a group) is
    rows added, not a crash; 'NA' is text, as the loader reads it; an empty cell filled is
    listed among the largest changes; a file that is no CSV is said to be one."""
    from helsemodlite.data.statbank.diff import csv_changes

    old = b"g,year,v\na,2020,1\nb,2020,2\n"
    assert csv_changes(old, old + b"a,2021,3\n") == ("rader lagt til: 1 (a 2021)",)
    moves = b"group,origin,share\nbio,,0\n"
    assert csv_changes(moves, moves.replace(b",,", b",NA,")) == ("verdier endret: 1",)
    assert csv_changes(b"g,v\na,\nb,2\n", b"g,v\na,7\nb,2\n") == (
        "verdier endret: 1; størst: a v: tom → 7",
    )
    assert csv_changes(b"g\na\nb\n", b"g\r\na\r\nb\r\n") == ("bare formatering eller kommentarer",)
    assert csv_changes(b"g,v\na,1\n", b'g,v\na,1,3\n"') == (
        "innholdet endret (kan ikke leses som CSV)",
    )
