"""Scenario files: the :class:`Scenario`, reading TOML files, baseline chains and merging.

A scenario is a sparse override of a named baseline (the reference path ``"referanse"`` or
another scenario file): it sets only the hooks (measures) that differ from the reference. Each
hook present becomes one typed, fully-defaulted, immutable object; an absent hook is ``None``
and means "as in the reference". The file format, every key, its unit, default and allowed
range, and the semantics the engine applies are documented in ``docs/scenarios.md``.

This module reads files and follows and merges baseline chains; the measures are
:mod:`.measures`, and reading and checking table content is :mod:`.reader` (generic, from the
hook declarations) with :mod:`.check`.

Validation happens at the edge: :func:`load_scenario` and :meth:`Scenario.from_dict` read the
whole document (and its baseline chain), collect every problem and raise a single
:class:`~helsemodlite.errors.ConfigError` listing them all, each naming file, table and key.
Nothing else is ever raised for bad content. The engine trusts a :class:`Scenario`.

This module imports only the standard library and numpy, so that importing it is cheap.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ..embedded import scenarios_dir, shipped_scenario, shipped_scenarios
from ..errors import ConfigError
from .check import (
    _META_KEYS,
    _NAME_RE,
    NAME_RULE,
    _Checker,
    _Path,
    _show,
    _truncate,
    is_valid_name,
)
from .declarations import GROUPS_KEY, exclusive_groups, hook, hooks, tables
from .measures import REFERENCE_NAME, Measure
from .reader import _check_meta, read_hooks

__all__ = ["Scenario", "load_scenario"]


MAX_CHAIN: Final = 20
"""Longest allowed chain of baseline files."""

# --------------------------------------------------------------------------------------------
# Scenario
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A resolved scenario: metadata plus one :class:`~.measures.Measure` per hook present (a
    tuple of them for an array hook such as ``oppgavedeling``), keyed by table. Baseline chains
    are already merged into the measures; ``baseline`` and ``baseline_chain`` record where they
    came from. ``scenario.position_share`` (a hook's English name) reads ``measures`` too."""

    name: str = REFERENCE_NAME
    title: str = "Referansebane"
    description: str = ""
    baseline: str = REFERENCE_NAME
    """``"referanse"`` or the (resolved) path of the parent scenario file."""
    baseline_chain: tuple[str, ...] = ()
    """Parent, grandparent, … scenario files merged into this one (empty for ``referanse``)."""
    source: Path | None = None
    measures: Any = ()
    """``{table: Measure}`` as given; stored as ((table, measure), …) in canonical order."""
    checked: bool = field(default=False, init=False, repr=False, compare=False)
    """True when built by the reader (every value checked); a Scenario constructed directly is
    checked by :meth:`validated` before it is projected or written."""

    def __post_init__(self) -> None:
        problems = []
        if not is_valid_name(self.name):
            problems.append(f"Scenario.name: must be {NAME_RULE}, got {_show(self.name)}")
        items = self.measures.items() if isinstance(self.measures, Mapping) else self.measures
        try:
            given = dict(items)
        except (TypeError, ValueError):
            raise ConfigError(
                f"Scenario.measures: must be a mapping of table to measure, got "
                f"{_show(self.measures)}"
            ) from None
        for table, value in given.items():
            if table not in tables():
                problems.append(f"Scenario.measures: unknown table {_show(table)}")
                continue
            h = hook(table)
            entries = value if h.array and isinstance(value, tuple) else (value,)
            if value is not None and not all(
                isinstance(e, Measure) and e.table == table for e in entries
            ):
                what = "a tuple of Measure" if h.array else "a Measure"
                problems.append(
                    f"Scenario.measures[{table!r}]: must be None or {what} of [{table}], got "
                    f"{_show(value)}"
                )
        if problems:
            raise ConfigError(problems)
        ordered = tuple((t, given[t]) for t in tables() if given.get(t) is not None)
        object.__setattr__(self, "measures", ordered)

    def __getattr__(self, name: str) -> Any:
        """A measure by the hook's English name (``scenario.position_share``), None if absent."""
        if not name.startswith("_"):
            for h in hooks():
                if h.attr == name:
                    return dict(self.measures).get(h.table)
        raise AttributeError(f"'Scenario' object has no attribute {name!r}")

    def validated(self) -> Scenario:
        """This scenario with every value checked by the reader (itself when already checked):
        a Scenario built directly from measures gets the same checks as a file."""
        if self.checked:
            return self
        doc = {k: v for k, v in self.to_dict().items() if k in tables()}
        doc.update(title=self.title, description=self.description)
        return Scenario.from_dict(_toml_value(doc), name=self.name)

    @classmethod
    def reference(cls) -> Scenario:
        """The reference path: no overrides."""
        ref = cls(description="SSB's reference path (Helsepersonellplan 2040): no measures.")
        object.__setattr__(ref, "checked", True)
        return ref

    @classmethod
    def from_dict(
        cls,
        d: Mapping[str, Any],
        *,
        name: str | None = None,
        source: str | os.PathLike[str] | None = None,
    ) -> Scenario:
        """Build and validate a scenario from a dict shaped like a scenario file.

        ``name`` overrides the dict's ``name``; problems are reported against ``name`` (or
        ``source``, or ``<dict>``). A relative ``baseline`` path is resolved against the folder of
        ``source`` if given, else the working directory. Raises :class:`ConfigError` listing every
        problem.
        """
        label = name or (str(source) if source is not None else "<dict>")
        src = _as_path(source)
        if source is not None and (
            src is None or isinstance(source, bytes) or "\x00" in os.fspath(source)
        ):
            raise ConfigError(f"source: expected a file path (str or pathlib.Path), got {source!r}")
        stack = [(src.resolve(), label)] if src is not None else []
        base_dir = src.parent if src is not None else None
        default_name = src.stem if src is not None else None
        return _build(d, label, base_dir, stack, src, name_override=name, default_name=default_name)

    def hooks(self) -> dict[str, Any]:
        """The measures present, as ``{config table: measure}`` in canonical order."""
        return dict(self.measures)

    @property
    def is_reference(self) -> bool:
        """True when no hook changes anything relative to the reference path."""
        for value in self.hooks().values():
            entries = value if isinstance(value, tuple) else (value,)
            if any(not e.is_neutral for e in entries):
                return False
        return True

    def to_toml(self) -> str:
        """The scenario as a TOML file that loads back to the identical projection."""
        return scenario_to_toml(self)

    def to_dict(self) -> dict[str, Any]:
        """The resolved scenario, all defaults filled: JSON-serialisable, deterministic order.

        Metadata first (name, title, description, source, baseline, baseline_chain), then the
        hooks present in canonical order with their config keys.
        """
        out: dict[str, Any] = {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "source": None if self.source is None else display_path(self.source),
            "baseline": display_path(self.baseline),
            "baseline_chain": [display_path(b) for b in self.baseline_chain],
        }
        for key, value in self.hooks().items():
            if isinstance(value, tuple):
                out[key] = [e.to_dict() for e in value]
            else:
                out[key] = value.to_dict()
        return out


SHIPPED_PREFIX: Final = "shipped:"
"""How a shipped scenario file is named in outputs (no machine-dependent paths)."""


def display_path(path: str | os.PathLike[str]) -> str:
    """A scenario path as recorded in outputs: ``shipped:NAME`` for a shipped file."""
    text = os.fspath(path)
    if text == REFERENCE_NAME:
        return text
    p = Path(text)
    try:
        if p.parent.resolve() == scenarios_dir().resolve() and p.suffix == ".toml":
            return SHIPPED_PREFIX + p.stem
    except (OSError, RuntimeError, ValueError):
        pass
    return p.as_posix()


def locate_scenario(ref: str | os.PathLike[str]) -> Path:
    """The file a scenario reference names: an existing path wins, else a shipped scenario by
    name (``heltid_10`` or ``heltid_10.toml``, also ``shipped:heltid_10``); otherwise the path
    as given (reading it then reports it missing, listing the shipped names)."""
    text = os.fspath(ref)
    if not isinstance(text, str):
        return Path(os.fsdecode(text))
    path = Path(text)
    if text.startswith(SHIPPED_PREFIX):
        shipped = shipped_scenario(text.removeprefix(SHIPPED_PREFIX))
        return shipped if shipped is not None else path
    try:
        if path.is_file() or (path.exists() and shipped_scenario(text) is None):
            return path  # an existing file wins; a folder of that name does not hide a shipped one
    except (OSError, ValueError):
        return path
    shipped = shipped_scenario(text)
    return shipped if shipped is not None else path


def _not_found_hint(label: str) -> str:
    import difflib

    shipped = list(shipped_scenarios())
    stem = Path(label).name.removesuffix(".toml")
    close = difflib.get_close_matches(stem, shipped, n=1)
    guess = f"did you mean {close[0]}? " if close else ""
    if "/" in label or "\\" in label or label.endswith(".toml"):  # a path, not a name
        where = "" if Path(label).parent.is_dir() else f" (no folder {Path(label).parent})"
        return f"file not found{where}" + (
            f"; or the shipped scenario {close[0]}?" if close else ""
        )
    return (
        f"file not found, and not the name of a shipped scenario ({guess}shipped: "
        f"{', '.join(shipped)}; see `helsemodlite scenarios list`)"
    )


def shipped_catalogue() -> list[tuple[str, str]]:
    """(name, title) of every shipped scenario, by name."""
    return [(name, load_scenario(path).title) for name, path in shipped_scenarios().items()]


def scenario_text(name: str) -> str:
    """The text of a shipped scenario file (or of an existing file given as a path)."""
    path = locate_scenario(name)
    problems: list[str] = []
    if _read_toml(path, name, problems) is None:
        raise ConfigError(problems)
    return path.read_text(encoding="utf-8")


def _toml_value(value: Any) -> Any:
    """A to_dict value as TOML can hold it (no None; tuples as arrays)."""
    if isinstance(value, dict):
        return {k: _toml_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_toml_value(v) for v in value]
    return value


def _comment(text: str) -> str:
    """Text safe inside a TOML comment: no line breaks or control characters (a file name can
    hold them) and no lone surrogates."""
    cleaned = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return cleaned.encode("utf-8", "backslashreplace").decode("utf-8")


def scenario_to_toml(scenario: Scenario) -> str:
    """A scenario file that loads back to the identical projection: the resolved hooks with
    every key written out, against ``baseline = "referanse"`` (a merged, combined or
    programmatically built scenario included). Provenance goes into a comment."""
    import tomli_w

    doc = scenario.to_dict()
    head = {k: doc[k] for k in ("name", "title", "description") if doc.get(k)}
    head["baseline"] = REFERENCE_NAME
    hooks = {k: _toml_value(v) for k, v in doc.items() if k in tables()}
    provenance = []
    if doc.get("source"):
        provenance.append(f"# Written by helsemodlite from {_comment(doc['source'])}")
    if doc.get("baseline_chain"):
        chain = ", ".join(_comment(b) for b in doc["baseline_chain"])
        provenance.append(f"# with its baselines merged in: {chain}")
    prefix = "\n".join(provenance) + "\n" if provenance else ""
    return prefix + tomli_w.dumps({**head, **hooks}, multiline_strings=True)


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read, resolve and validate a scenario TOML file, or a shipped scenario by name.

    A path that exists wins; otherwise a bare name (``heltid_10``) names a shipped scenario
    (:func:`helsemodlite.embedded.shipped_scenarios`).
    A relative ``baseline`` path is resolved against the file's folder; chains are followed and
    merged (child overriding parent key by key), cycles rejected. An empty file is the reference
    scenario. Raises :class:`ConfigError` listing every problem (of the file and its baselines),
    and never anything else.
    """
    label = _label_of(path)
    problems: list[str] = []
    if isinstance(path, str) and not path.strip():
        raise ConfigError("scenario: an empty name; give a scenario file or a shipped name")
    try:
        src: Path | None = locate_scenario(path)
    except TypeError:
        src = None
    if src is None:
        raise ConfigError(f"{label}: not a file path")
    raw = _read_toml(src, label, problems)
    if raw is None:
        raise ConfigError(problems)
    try:
        stack = [(src.resolve(), label)]
    except (OSError, RuntimeError, ValueError):
        stack = []
    return _build(raw, label, src.parent, stack, src, name_override=None, default_name=src.stem)


# --------------------------------------------------------------------------------------------
# Reading and chaining
# --------------------------------------------------------------------------------------------


def _as_path(p: object) -> Path | None:
    if p is None:
        return None
    try:
        return Path(p)  # type: ignore[arg-type]
    except TypeError:
        return None


def _label_of(p: object) -> str:
    try:
        f = os.fspath(p)  # type: ignore[call-overload]
    except TypeError:
        return _show(p)
    return f if isinstance(f, str) else repr(f)


MAX_SCENARIO_BYTES = 1_000_000
"""Scenario files are small; reading stops here (protects against e.g. ``/dev/zero``)."""


def _not_a_regular_file(path: Path) -> str | None:
    """What an existing path is when it is not a regular file (a FIFO would block a read)."""
    import stat

    try:
        mode = path.stat().st_mode
    except (OSError, ValueError, RuntimeError):
        return None  # missing etc.: reported by the read below
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    return "a device or socket"


def _read_toml(path: Path, label: str, problems: list[str]) -> dict[str, Any] | None:
    """Parse a TOML file; on failure record a problem naming the file and return None."""
    kind = _not_a_regular_file(path)
    if kind is not None:
        problems.append(f"{label}: is {kind}, not a scenario file")
        return None
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_SCENARIO_BYTES + 1)
        if len(data) > MAX_SCENARIO_BYTES:
            problems.append(f"{label}: larger than {MAX_SCENARIO_BYTES} bytes; not a scenario file")
            return None
    except FileNotFoundError:
        problems.append(f"{label}: {_not_found_hint(label)}")
        return None
    except IsADirectoryError:
        problems.append(f"{label}: is a directory, not a scenario file")
        return None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        problems.append(f"{label}: cannot read file: {reason}")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(
            f"{label}: not a UTF-8 text (TOML) file: invalid byte at offset {exc.start}"
        )
        return None
    text = text.removeprefix("\ufeff")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        if "overwrite" in msg or "twice" in msg:
            msg += " (a key or table defined twice?)"
        problems.append(f"{label}: TOML syntax error: {msg}")
    except RecursionError:
        problems.append(f"{label}: TOML document nested too deeply")
    except (ValueError, MemoryError) as exc:
        problems.append(f"{label}: invalid TOML value: {_truncate(str(exc))}")
    return None


def _merge(
    parent: dict[str, Any],
    child: Mapping[Any, Any],
    path: _Path,
    origins: dict[_Path, str],
    label: str,
    depth: int = 0,
) -> dict[str, Any]:
    """Merge ``child`` onto ``parent`` key by key, recording origins. Tables merge recursively
    (a hook table, its ``grupper`` table, each group's table); a value that is a table (a year
    path) is replaced whole."""
    out = dict(parent)
    for k, v in child.items():
        p = (*path, k)
        old = out.get(k)
        if isinstance(v, dict) and isinstance(old, dict) and _is_table(depth, k):
            out[k] = _merge(old, v, p, origins, label, depth + 1)
            continue
        if depth >= 1 and isinstance(v, dict):  # a year path: the years come with it
            for other in ("start_year", "full_effect_year"):
                if other in out and other not in child:
                    del out[other]
                    _drop_origins(origins, (*path, other))
        if depth >= 1:
            for group in exclusive_groups():
                if k in group:
                    for other in group - {k}:
                        if other in out and other not in child:
                            del out[other]
                            _drop_origins(origins, (*path, other))
        _drop_origins(origins, p)
        out[k] = v
        origins[p] = label
    origins[path] = label
    return out


def _is_table(depth: int, key: object) -> bool:
    """Whether a dict at this depth is a table to merge (not a year path)."""
    return depth == 0 or (depth == 1 and key == GROUPS_KEY) or depth == 2


def _record_origins(
    d: Mapping[Any, Any], path: _Path, label: str, origins: dict[_Path, str], depth: int = 0
) -> None:
    """Record ``label`` as the origin of every key of ``d`` (tables to the merge depth)."""
    for k, v in d.items():
        p = (*path, k)
        origins[p] = label
        if isinstance(v, dict) and _is_table(depth, k):
            _record_origins(v, p, label, origins, depth + 1)


def _drop_origins(origins: dict[_Path, str], prefix: _Path) -> None:
    n = len(prefix)
    for p in [p for p in origins if p[:n] == prefix]:
        del origins[p]


def _resolve(
    raw: Mapping[Any, Any],
    label: str,
    base_dir: Path | None,
    stack: list[tuple[Path, str]],
    problems: list[str],
) -> tuple[dict[str, Any], dict[_Path, str], list[str]]:
    """Merge the baseline chain of one document: (hook content, origins, ancestor labels)."""
    own = {k: v for k, v in raw.items() if k not in _META_KEYS}
    baseline = raw.get("baseline", REFERENCE_NAME)
    root: dict[_Path, str] = {(): label}
    _record_origins(own, (), label, root)
    if not isinstance(baseline, str) or baseline in (REFERENCE_NAME, ""):
        return own, root, []  # a wrong type is reported by _check_meta
    try:
        parent_path = Path(baseline)
        if not parent_path.is_absolute():
            parent_path = (base_dir if base_dir is not None else Path.cwd()) / parent_path
        if not parent_path.exists():
            parent_path = (
                locate_scenario(baseline)
                if shipped_scenario(baseline.removeprefix(SHIPPED_PREFIX))
                else parent_path
            )
        parent_label = os.path.normpath(str(parent_path))
        resolved = parent_path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        problems.append(f"{label}: baseline: invalid path {_show(baseline)}: {exc}")
        return own, root, []
    chain_labels = [lab for _, lab in stack]
    if any(resolved == r for r, _ in stack):
        cycle = " -> ".join([*chain_labels, parent_label])
        problems.append(f"{label}: baseline: cycle of baseline files: {cycle}")
        return own, root, []
    if len(stack) > MAX_CHAIN:
        problems.append(f"{label}: baseline: chain of baseline files longer than {MAX_CHAIN}")
        return own, root, []
    parent_problems: list[str] = []
    parent_raw = _read_toml(parent_path, parent_label, parent_problems)
    if parent_raw is None:
        problems.extend(f"{label}: baseline: {p}" for p in parent_problems)
        return own, root, []
    _check_meta(parent_raw, parent_label, problems)
    pmerged, porigins, pchain = _resolve(
        parent_raw, parent_label, parent_path.parent, [*stack, (resolved, parent_label)], problems
    )
    merged = _merge(pmerged, own, (), porigins, label)
    return merged, porigins, [parent_label, *pchain]


# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    s = re.sub(r"[^\w.+\-]+", "_", text.strip()).strip("_.+-")
    return s[:80] if s and _NAME_RE.match(s[:80]) else ""


def _build(
    d: object,
    label: str,
    base_dir: Path | None,
    stack: list[tuple[Path, str]],
    source: Path | None,
    *,
    name_override: str | None,
    default_name: str | None,
) -> Scenario:
    """Resolve, validate and build; raise ConfigError with every problem.

    Bad content gives :class:`ConfigError` only; any other exception is a defect of this
    package and surfaces as itself (never disguised as the user's error)."""
    if not isinstance(d, Mapping):
        raise ConfigError(f"{label}: a scenario must be a table (dict), got {_show(d)}")
    problems: list[str] = []
    meta = _check_meta(d, label, problems)
    merged, origins, chain = _resolve(d, label, base_dir, stack, problems)

    def where(path: _Path) -> str:
        for i in range(len(path), -1, -1):
            if path[:i] in origins:
                return origins[path[:i]]
        return label

    c = _Checker(where)
    measures = read_hooks(c, merged)
    problems.extend(c.problems)
    if problems:
        raise ConfigError(problems)

    if name_override is not None:
        if not is_valid_name(name_override):
            raise ConfigError(f"{label}: name: must be {NAME_RULE}, got {_show(name_override)}")
        name = name_override
    elif "name" in meta:
        name = meta["name"]
    else:
        name = _slug(default_name or "") or _slug(meta.get("title", "")) or "scenario"
    baseline = meta.get("baseline", REFERENCE_NAME)
    if baseline != REFERENCE_NAME and chain:
        baseline = chain[0]
    scenario = Scenario(
        name=name,
        title=meta.get("title", name),
        description=meta.get("description", ""),
        baseline=baseline,
        baseline_chain=tuple(chain),
        source=source,
        measures=measures,
    )
    object.__setattr__(scenario, "checked", True)  # every value went through the reader
    return scenario
