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


def test_the_build_finds_its_sources_by_role(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Replacing a source with a newer vintage is a catalogue edit: a renamed file, named in
    sources.toml, is found by its role with no code change; a missing role is a clear error."""
    import pytest

    from helsemodlite.data.catalogue import roles, source_file
    from helsemodlite.data.population_rates import read_registered_population

    found = roles(ROOT)
    assert len(found) == len(set(found.values())) >= 20
    copy = tmp_path / "inputs"
    hm.export_inputs(copy)
    old = source_file(copy / "sources", "population_base")
    new = old.with_name("population_norway_1jan_2025_2027_single_age_sex.csv")
    old.rename(new)
    cat = copy / "sources.toml"
    cat.write_text(cat.read_text(encoding="utf-8").replace(old.name, new.name), encoding="utf-8")
    assert source_file(copy / "sources", "population_base") == new
    assert read_registered_population(copy / "sources")[2024].sum() > 5e6
    cat.write_text(cat.read_text(encoding="utf-8").replace('role = "population_base"\n', ""))
    with pytest.raises(hm.InputError, match='role = "population_base"'):
        source_file(copy / "sources", "population_base")
