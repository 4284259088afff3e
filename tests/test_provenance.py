"""Every public table in inputs/sources/ is in the catalogue with its provenance fields."""

from __future__ import annotations

import tomllib

import helsemodlite as hm

ROOT = hm.default_inputs_dir()
FIELDS = ("file", "publisher", "table_id", "title", "reference_date", "url", "unit", "note")


def test_every_source_file_is_catalogued_with_all_fields() -> None:
    with (ROOT / "sources.toml").open("rb") as fh:
        catalogue = tomllib.load(fh)["source"]
    files = {p.name for p in (ROOT / "sources").glob("*.csv")}
    listed = [entry["file"] for entry in catalogue]
    assert len(listed) == len(set(listed)), "a file is catalogued twice"
    assert files == set(listed), (files - set(listed), set(listed) - files)
    for entry in catalogue:
        missing = [f for f in FIELDS if not str(entry.get(f, "")).strip()]
        assert not missing, (entry["file"], missing)


def test_every_source_file_names_its_source_in_a_header() -> None:
    for path in sorted((ROOT / "sources").glob("*.csv")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("#"), f"{path.name}: first line should name the source"
