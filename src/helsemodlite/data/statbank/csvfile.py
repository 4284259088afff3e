"""StatBank CSV files downloaded by hand (PxWebApi v2 ``outputFormat=csv``) read as datasets.

A CSV download carries no metadata, so the file is read against the table's declaration
(:mod:`.tables`): which dimensions there are, in which order, and their codes. What SSB's CSV
writer produces, and what is accepted here:

- encoding UTF-8 (with or without BOM) or ISO-8859-1 (SSB's default for CSV);
- separator comma (the default), semicolon or tab; ``SeparatorSpace`` is refused (it cannot be
  told from the spaces in texts);
- an optional title line (``IncludeTitle``) and blank lines before the header;
- cells as codes (``UseCodes``, the default) or as ``code - text`` (``UseCodesAndTexts``);
  texts alone (``UseTexts``) are refused, since the build needs the codes;
- every dimension in the stub (one value column: the long layout that :func:`download_url`
  asks for), or the years in the heading (one column per year, headed ``2024`` or, with the
  statistikkvariabel in the heading too, ``Personer 2024``; then the table must select exactly
  one statistikkvariabel);
- a missing value as SSB writes it (``..``, ``.``, ``:``, ``-`` or empty): kept as a suppressed
  cell with its symbol, so the converter refuses it with the cell named.

Stub columns are matched to the dimensions by their header when it is the dimension's code
(``Kjonn``, ``Kjonn - kjønn``), otherwise by position in the declared order; either way every
column's codes are checked against the declaration, so a column in the wrong place is refused.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

from ...errors import InputError
from .jsonstat import Dataset
from .tables import Table

BASE_URL = "https://data.ssb.no/api/pxwebapi/v2"
MISSING = re.compile(r"^(\.\.|\.|:|\.\.\.)?$")
"""SSB's symbols for a cell without a number (or an empty cell); ``-`` is SSB's "nil" (0)."""
NIL = "-"
YEAR_HEAD = re.compile(r"(?:^|\s)(\d{4})$")


def download_url(t: Table, fmt: str = "csv") -> str:
    """The GET address of the table's data in the layout :func:`read_csv` (``fmt="csv"``) or
    the JSON-stat2 import (``fmt="json-stat2"``) reads: the build's selection, every period
    from the first one the build needs, all dimensions in the stub, codes, semicolons."""
    parts = [f"lang=no&outputFormat={fmt}"]
    if fmt == "csv":
        parts.append("outputFormatParams=UseCodes,SeparatorSemicolon")
        parts.append("stub=" + ",".join(t.dimensions))
    for d in t.dimensions:
        if d == t.time:
            codes = f"from({t.first_period})"
        elif d in t.fixed:
            codes = ",".join(t.fixed[d])
        else:
            codes = "*"
        parts.append(f"valueCodes[{d}]={quote(codes, safe='(),*')}")
    return f"{BASE_URL}/tables/{t.id}/data?" + "&".join(parts)


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # SSB serves CSV as ISO-8859-1


def _separator(line: str, where: str) -> str:
    counts = {s: _outside_quotes(line).count(s) for s in (";", "\t", ",")}
    sep = max(counts, key=lambda s: counts[s])
    if counts[sep] == 0:
        raise InputError(
            f"{where}: no separator found in the header line {line[:80]!r} (expected comma, "
            "semicolon or tab; SSB's SeparatorSpace cannot be read - download it again with "
            "SeparatorSemicolon)"
        )
    return sep


def _outside_quotes(line: str) -> str:
    return re.sub(r'"[^"]*"', "", line)


def _split_title(text: str, where: str) -> tuple[str, str, str]:
    """(title or "", header line, the text from the header on). A line that is empty but for
    separators (as a spreadsheet saves a blank line) counts as blank; a title is a line with no
    separator outside its quotes but at its end."""
    lines = text.splitlines()

    def blank(line: str) -> bool:
        return not line.strip(" ;,\t")

    title = ""
    i = 0
    while i < len(lines) and blank(lines[i]):
        i += 1
    one_field = i < len(lines) and len(re.findall(r'"[^"]*"', lines[i])) <= 1
    if one_field and not re.search(r"[;,\t]", _outside_quotes(lines[i]).rstrip(" ;,\t")):
        title = lines[i].strip().rstrip(";,\t").strip().strip('"')
        i += 1
        while i < len(lines) and blank(lines[i]):
            i += 1
    if i >= len(lines):
        raise InputError(f"{where}: no header line and no data")
    return title, lines[i], "\n".join(lines[i:])


def _not_text(raw: bytes, where: str, t: Table) -> None:
    """Refuse what is no CSV text at all, saying what it is."""
    head = raw[:512]
    what = ""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head.count(b"\x00") > len(head) // 4:
        what = "UTF-16 text (Excel's 'Unicode text'); save it as CSV UTF-8, or download it again"
    elif head.startswith(b"PK\x03\x04"):
        what = "an Excel workbook (xlsx), not CSV; download outputFormat=csv"
    elif head.lstrip().lower().startswith((b"<!doctype", b"<html", b"<?xml", b"<")):
        what = "an HTML or XML page (an error page or outputFormat=html?), not CSV"
    if what:
        raise InputError(f"{where}: {what}: {download_url(t)}")


def _same_table(title: str, t: Table, where: str) -> None:
    """A title line (``IncludeTitle``) starts with the table id: it must be this table's."""
    m = re.match(r"\s*(\d{5})\s*:", title)
    if m and m.group(1) != t.id:
        raise InputError(f"{where}: the title says table {m.group(1)}, not {t.id}: {title[:80]!r}")


def _code(cell: str) -> str:
    """``code - text`` (UseCodesAndTexts) → code; a bare code stays as it is."""
    return cell.split(" - ", 1)[0].strip() if " - " in cell else cell.strip()


def _header_dim(head: str, dims: list[str]) -> str | None:
    key = _code(head).lower()
    return next((d for d in dims if d.lower() == key), None)


def _expected(t: Table, d: str) -> tuple[str, ...] | None:
    if d in t.exact:
        return t.exact[d]
    if d in t.fixed:
        return t.fixed[d]
    return None


def _stub_dims(t: Table, heads: list[str], stub: list[str], where: str) -> list[str]:
    """The dimension of each stub column: by header where it names one, else by position."""
    named = [_header_dim(h, stub) for h in heads]
    if all(n is not None for n in named) and len(set(named)) == len(named):
        return [n for n in named if n is not None]
    if len(heads) != len(stub):
        raise InputError(
            f"{where}: {len(heads)} label column(s) ({', '.join(map(repr, heads))}); table "
            f"{t.id} needs {len(stub)} ({', '.join(stub)}). Download it with every dimension in "
            f"the stub: {download_url(t)}"
        )
    return list(stub)


def _layout(t: Table, header: list[str], where: str) -> tuple[list[str], list[tuple[str, str]]]:
    """(dimension of each stub column, [(value column, period)] or [(value column, "")])."""
    dims = list(t.dimensions)
    years = [i for i, h in enumerate(header) if YEAR_HEAD.search(h.strip())]
    if years and years[0] > 0 and years == list(range(years[0], len(header))):
        heading = [t.time]
        stub = [d for d in dims if d != t.time]
        n_stub = years[0]
        if n_stub == len(stub) - 1 and "ContentsCode" in stub:
            contents = _expected(t, "ContentsCode") or ()
            if len(contents) != 1:
                raise InputError(
                    f"{where}: the statistikkvariabel is in the heading, but table {t.id} needs "
                    f"{len(contents)} of them ({', '.join(contents)}); download it with every "
                    f"dimension in the stub: {download_url(t)}"
                )
            heading.insert(0, "ContentsCode")
            stub.remove("ContentsCode")
        cols = [(header[i], YEAR_HEAD.search(header[i].strip()).group(1)) for i in years]  # type: ignore[union-attr]
        return _stub_dims(t, header[:n_stub], stub, where), cols
    return _stub_dims(t, header[:-1], dims, where), [(header[-1], "")]


def _numbers(
    col: pd.Series, where: str, name: str, whole: bool, first_line: int
) -> tuple[np.ndarray, np.ndarray]:
    """Values (NaN where missing, 0 for SSB's nil ``-``) and status symbols of one value
    column. ``whole``: a count table, where SSB writes digits only, so a ``.`` or a ``,`` can
    only be a thousands separator or a decimal (``28.000`` is never 28)."""
    raw = col.astype(str).str.strip()
    missing = raw.str.fullmatch(MISSING.pattern)
    nil = raw == NIL
    number = raw.where(~missing & ~nil)
    values = pd.to_numeric(number, errors="coerce").where(~nil, 0.0)
    bad = values.isna() & ~missing
    if whole:
        bad |= ~missing & ~nil & ~raw.str.fullmatch(r"[+-]?\d+")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        got = raw.iloc[i]
        hint = ""
        if whole and re.fullmatch(r"\d{1,3}([.,]\d{3})+", got):
            hint = " (a thousands separator? SSB writes counts as plain digits)"
        elif re.fullmatch(r"[+-]?\d+,\d+", got):
            hint = " (a decimal comma? SSB's CSV uses a decimal point)"
        what = "a whole number" if whole else "a number"
        raise InputError(
            f"{where}: line {first_line + i}, column {name!r}: must be {what} or one of SSB's "
            f"symbols (.., ., :, -), got {got!r}{hint}"
        )
    status = np.where((missing | nil).to_numpy(), raw.to_numpy(), "")
    return values.to_numpy(dtype=float), status


def read_csv(path: Path, t: Table) -> tuple[Dataset, bytes]:
    """The dataset of a StatBank CSV download of table ``t``, and the file's bytes."""
    where = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    _not_text(raw, where, t)
    text = _text(raw)
    title, header_line, body = _split_title(text, where)
    _same_table(title, t, where)
    sep = _separator(header_line, where)
    try:
        frame = pd.read_csv(
            io.StringIO(body), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=True
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(
            f"{where}: not a StatBank CSV table - the lines do not have the same number of "
            f"fields ({exc}); download it again: {download_url(t)}"
        ) from None
    empty = [c for c in frame.columns if str(c).startswith("Unnamed:") and not frame[c].any()]
    frame = frame.drop(columns=empty)  # a separator at the end of every line
    header = [str(c) for c in frame.columns]
    first_line = text[: text.find(header_line)].count("\n") + 2  # the first data line
    stub_dims, value_cols = _layout(t, header, where)
    if frame.empty:
        raise InputError(f"{where}: no data rows")
    long_parts = []
    for col, period in value_cols:
        part = pd.DataFrame({d: frame.iloc[:, i].map(_code) for i, d in enumerate(stub_dims)})
        if period:
            part[t.time] = period
        values, status = _numbers(frame[col], where, col, t.whole_numbers, first_line)
        part["value"], part["status"] = values, status
        long_parts.append(part)
    cells = pd.concat(long_parts, ignore_index=True)
    for d in t.dimensions:
        if d not in cells:  # the statistikkvariabel in the heading: the table's one code
            cells[d] = (_expected(t, d) or ("",))[0]
    return _dataset(t, cells, title or f"{t.id} (CSV)", where), raw


def _codes(
    t: Table, cells: pd.DataFrame, where: str
) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    """The cells of the build's selection and the codes of every dimension, in declared order.

    A selected dimension keeps its selected codes (other codes in the file are dropped, as in
    an API answer); a dimension taken whole keeps what the file has, for ``check_structure`` to
    compare; codes that are no codes of the table are refused (texts get the download hint)."""
    codes: dict[str, tuple[str, ...]] = {}
    for d in t.dimensions:
        seen = tuple(dict.fromkeys(cells[d]))
        want = _expected(t, d)
        if d == t.time or want is None:
            codes[d] = tuple(sorted(seen)) if d == t.time else seen
            continue
        lost = {c.lstrip("0") or "0": c for c in want if c.isdigit() and c not in seen}
        lost = {k: v for k, v in lost.items() if k in seen and k not in want}
        if lost:  # leading zeros lost (the file was opened and saved in Excel)
            cells = cells.assign(**{d: cells[d].replace(lost)})
            seen = tuple(dict.fromkeys(cells[d]))
        present = [c for c in want if c in set(seen)]
        if d in t.fixed and len(present) == len(want):
            cells = cells[cells[d].isin(want)]
            codes[d] = tuple(want)
            continue
        if d in t.exact and present:
            codes[d] = tuple(present) + tuple(c for c in seen if c not in set(want))
            continue
        absent = [c for c in want if c not in set(seen)][:3]
        raise InputError(
            f"{where}: the {d} column has no code(s) {', '.join(map(repr, absent))} of table "
            f"{t.id} (it holds {', '.join(map(repr, seen[:3]))}{', …' if len(seen) > 3 else ''})."
            f" If those are texts, download the table with codes: {download_url(t)}"
        )
    return cells, codes


def _dataset(t: Table, cells: pd.DataFrame, label: str, where: str) -> Dataset:
    """The cells as a full grid in the declared dimension order (every cell exactly once)."""
    cells, codes = _codes(t, cells, where)
    keys = list(t.dimensions)
    if cells.duplicated(keys).any():
        first = cells[cells.duplicated(keys)].iloc[0]
        raise InputError(
            f"{where}: a cell comes twice ({', '.join(f'{d}={first[d]}' for d in keys)})"
        )
    grid = pd.MultiIndex.from_product([list(codes[d]) for d in keys], names=keys)
    indexed = cells.set_index(keys)
    if len(cells) != len(grid):
        gone = grid.difference(indexed.index)
        first = ", ".join(f"{d}={v}" for d, v in zip(keys, gone[0], strict=True))
        raise InputError(
            f"{where}: {len(gone)} cell(s) of the table are not in the file (first: {first})"
        )
    ordered = indexed.reindex(grid)
    status = {
        i: str(s) for i, s in enumerate(ordered["status"].to_numpy()) if isinstance(s, str) and s
    }
    return Dataset(
        label=label,
        updated=None,
        ids=tuple(keys),
        codes=codes,
        labels={d: {} for d in keys},
        values=ordered["value"].to_numpy(dtype=float),
        status=status,
        extension={"px": {"tableid": t.id}},
    )
