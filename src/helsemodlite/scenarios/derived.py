"""What is derived from the hook declarations: the key tables of ``docs/scenarios.md`` and the
JSON Schema of a scenario file.

``python -m helsemodlite.scenarios.derived docs/scenarios.md`` regenerates every
``<!-- keys:NAME -->`` block of a docs file; a test keeps the shipped docs current.

This module imports only the standard library, so that importing it is cheap.
"""

from __future__ import annotations

import math
import re
from typing import Any

from .. import dims
from ..numformat import number
from .declarations import GROUPS, GROUPS_KEY, REQUIRED, TIMING, Hook, Key, hooks

# -- docs ---------------------------------------------------------------------------------------


def _num(v: float) -> str:
    if v == int(v) and abs(v) >= 10_000:
        return number(v)
    return f"{v:g}".replace("-", "−")


_TYPES = {
    "number": "float",
    "integer": "int",
    "boolean": "bool",
    "choice": "string",
    "string": "string",
    "alternative": "string",
    "group": "string",
    "target": "string",
    "services": '`"all"` or list of service ids',
    "ages": "`[min, max]` ints",
    "groups": '`"all"` or list of group ids',
}


def _type(k: Key) -> str:
    return _TYPES[k.kind] + (" or year path" if k.path else "")


def _default(k: Key) -> str:
    if k.shown_default:
        return k.shown_default
    if k.default == REQUIRED:
        return "— (required)"
    if k.default is None:
        return "—"
    if isinstance(k.default, bool):
        return "true" if k.default else "false"
    if isinstance(k.default, float):
        return f"{k.default:.1f}" if k.default == int(k.default) else _num(k.default)
    return _num(k.default) if isinstance(k.default, int) else f"`{k.default}`"


def _allowed(k: Key) -> str:
    if k.shown_allowed:
        return k.shown_allowed
    if k.kind == "choice":
        return ", ".join(f'`"{c}"`' for c in k.choices)
    if k.lo is None or k.hi is None:
        return ""
    if k.lo_open:
        return f"({_num(k.lo)}, {_num(k.hi)}]"
    return f"{_num(k.lo)} … {_num(k.hi)}"


def key_rows(keys: tuple[Key, ...]) -> list[str]:
    """Markdown table of keys: Key, Type, Default, Allowed, Meaning."""
    rows = ["| Key | Type | Default | Allowed | Meaning |", "|---|---|---|---|---|"]
    for k in keys:
        cells = [f"`{k.name}`", _type(k), _default(k), _allowed(k), k.doc]
        rows.append(("| " + " | ".join(cells) + " |").replace("|  |", "| |"))
    return rows


def _group_rows() -> list[str]:
    rows = ["| Hook | Keys of a `grupper.<id>` table |", "|---|---|"]
    for h in hooks():
        if h.groups:
            rows.append(f"| `[{h.table}]` | " + ", ".join(f"`{n}`" for n in h.group_names()) + " |")
    return rows


def docs_tables() -> dict[str, str]:
    """The generated key table of every hook (and of the common and per-group keys), by marker
    name."""
    out = {"common": "\n".join(key_rows((*TIMING, GROUPS)))}
    for h in hooks():
        rows = key_rows(h.keys)
        if h.timing and h.groups:
            rows.append("| + timing, `groups`, `grupper` | | | | |")
        elif h.timing:
            rows.append(
                "| `start_year`, `full_effect_year` | | | | Timing as above (no `groups`). |"
            )
        out[h.table] = "\n".join(rows)
    out[GROUPS_KEY] = "\n".join(_group_rows())
    return out


_MARKER = re.compile(r"(<!-- keys:(\w+) -->\n)(.*?)(<!-- /keys -->)", re.S)


def render_docs(text: str) -> str:
    """``text`` (docs/scenarios.md) with every ``<!-- keys:NAME -->`` block regenerated (an
    empty block included); every block must be closed before the next one opens."""
    tables = docs_tables()

    def block(m: re.Match[str]) -> str:
        if "<!-- keys:" in m[3]:
            raise ValueError(f"<!-- keys:{m[2]} --> is not closed before the next block")
        return m[1] + tables[m[2]] + "\n" + m[4]

    return _MARKER.sub(block, text)


# -- JSON Schema --------------------------------------------------------------------------------


def _value_schema(k: Key) -> dict[str, Any]:
    if k.kind in ("number", "integer"):
        out: dict[str, Any] = {"type": "number" if k.kind == "number" else "integer"}
        if k.lo is not None and math.isfinite(k.lo):
            out["exclusiveMinimum" if k.lo_open else "minimum"] = k.lo
        if k.hi is not None and math.isfinite(k.hi):
            out["maximum"] = k.hi
        return out
    if k.kind == "boolean":
        return {"type": "boolean"}
    if k.kind in ("choice", "group", "target"):
        return {"type": "string", "enum": [*k.choices, *(a for a, _ in k.aliases)]}
    if k.kind == "string":
        return {"type": "string", "minLength": 1}
    if k.kind == "alternative":  # SSB's codes: MMMM, HHMH, LLML, MMML, …
        return {"type": "string", "pattern": "^[A-Z0-9]{4}$"}
    if k.kind in ("groups", "services"):
        item: dict[str, Any] = {"type": "string", "minLength": 1}
        if k.kind == "groups":
            item = {"type": "string", "enum": list(dims.GROUPS)}
        return {
            "anyOf": [
                {"const": "all"},
                {"type": "array", "items": item, "minItems": 1, "uniqueItems": True},
            ]
        }
    if k.kind == "ages":
        bound = {"type": "integer", "minimum": k.lo, "maximum": k.hi}
        return {"type": "array", "items": bound, "minItems": 2, "maxItems": 2}
    raise ValueError(k.kind)


def _key_schema(k: Key) -> dict[str, Any]:
    doc = {"description": k.doc} if k.doc else {}
    value = _value_schema(k)
    if not k.path:
        return {**value, **doc}
    path = {
        "type": "object",
        "description": "year-keyed path: {2026 = …, 2030 = …}, interpolated",
        "propertyNames": {"pattern": "^[0-9]{4}$"},
        "additionalProperties": value,
        "minProperties": 1,
    }
    return {"anyOf": [value, path], **doc}


def _at_most_one(groups: tuple[tuple[str, ...], ...]) -> list[dict[str, Any]]:
    pairs = [(a, b) for g in groups for i, a in enumerate(g) for b in g[i + 1 :]]
    return [{"not": {"required": [a, b]}} for a, b in pairs]


def _hook_schema(h: Hook) -> dict[str, Any]:
    names = h.names()
    props = {k.name: _key_schema(k) for k in h.all_keys() if k.name in names}
    rules: list[dict[str, Any]] = _at_most_one(h.one_of)
    needs: list[dict[str, Any]] = [{"required": [k.name]} for k in h.keys if k.required]
    needs += [{"anyOf": [{"required": [n]} for n in g]} for g in h.one_of]
    if h.groups:
        group: dict[str, Any] = {
            "type": "object",
            "properties": {n: _key_schema(h.key(n)) for n in h.group_names()},
            "additionalProperties": False,
        }
        if h.one_of:
            group["allOf"] = _at_most_one(h.one_of)
        props[GROUPS_KEY] = {
            "type": "object",
            "description": "values for single groups, replacing the table-level ones",
            "propertyNames": {"enum": list(dims.GROUPS)},
            "additionalProperties": group,
        }
        if needs:  # the rule keys, unless every group gets its own table
            rules.append({"anyOf": [{"allOf": needs}, {"required": [GROUPS_KEY]}]})
    else:
        rules.extend(needs)
    out: dict[str, Any] = {
        "type": "object",
        "description": f"{h.title} ({h.side})",
        "properties": props,
        "additionalProperties": False,
    }
    if rules:
        out["allOf"] = rules
    if h.array:
        return {"type": "array", "items": out, "description": out["description"]}
    return out


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file, from the declarations: editors such as
    VS Code (with a TOML extension) validate scenario files against it. Checks the engine makes
    against the inputs (service ids) and cross-key rules beyond "exactly one of" are not in it."""
    meta = {
        "name": {"type": "string", "pattern": r"^[\w][\w.+\-]*$", "maxLength": 100},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "baseline": {
            "type": "string",
            "minLength": 1,
            "description": '"referanse", a scenario file path or a shipped scenario name',
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "helsemodlite scenario",
        "type": "object",
        "properties": {**meta, **{h.table: _hook_schema(h) for h in hooks()}},
        "additionalProperties": False,
    }


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - maintainers' tool
    """Regenerate the key tables of a docs file in place."""
    import sys
    from pathlib import Path

    args = sys.argv[1:] if argv is None else argv
    for name in args:
        path = Path(name)
        path.write_text(render_docs(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
