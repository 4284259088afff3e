"""SSB's StatBank API, PxWebApi v2 (https://data.ssb.no/api/pxwebapi/v2), over httpx.

- ``GET /tables/{id}`` (the table's ``updated`` stamp and ``discontinued`` flag),
  ``GET /tables/{id}/metadata`` (a JSON-stat2 dataset without values: dimensions and codes),
  ``POST /tables/{id}/data?outputFormat=json-stat2`` with ``{"selection": [{"variableCode",
  "valueCodes"}]}`` (POST, since a GET URL longer than about 2 100 characters fails).
- At most :data:`MAX_CELLS` cells per extract (SSB's limit; empty cells count): a larger query
  is split along its longest dimension into extracts that each fit, and a query the server still
  refuses as too large (HTTP 400 "Too many cells selected", or 403 as the specification has it) is
  halved again.
- HTTP 429: wait as ``Retry-After`` says (60 s when it does not), at most :data:`RETRIES` times.
  SSB allows 30 requests a minute per address; the client spaces its requests by
  :data:`MIN_INTERVAL`.
- Every failure is an :class:`InputError` naming the table, the URL and what the server said.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from ...errors import InputError
from ...numformat import number

BASE_URL = "https://data.ssb.no/api/pxwebapi/v2"
MAX_CELLS = 800_000
RETRIES = 4
MIN_INTERVAL = 2.0
"""Seconds between requests: 30 a minute, SSB's documented limit."""
TIMEOUT = 60.0


class Client:
    """A StatBank client. ``http`` is an ``httpx.Client`` (tests pass one with a mock
    transport); ``sleep`` waits (tests pass a recorder)."""

    def __init__(
        self,
        base_url: str = BASE_URL,
        *,
        http: Any = None,
        lang: str = "no",
        max_cells: int = MAX_CELLS,
        sleep: Callable[[float], None] | None = None,
        min_interval: float | None = None,
        timeout: float = TIMEOUT,
    ) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        self.http = http if http is not None else httpx.Client(timeout=timeout)
        self.lang = lang
        self.max_cells = max_cells
        self.sleep = sleep if sleep is not None else time.sleep
        self.min_interval = MIN_INTERVAL if min_interval is None else min_interval
        self.timeout = timeout
        self.requests = 0
        self._last = -math.inf

    # -- requests ------------------------------------------------------------------------

    def _request(self, method: str, path: str, table: str, **kw: Any) -> Any:
        import httpx

        url = f"{self.base_url}{path}"
        for attempt in range(RETRIES + 1):
            wait = self._last + self.min_interval - time.monotonic()
            if wait > 0:
                self.sleep(wait)
            try:
                resp = self.http.request(method, url, timeout=self.timeout, **kw)
            except httpx.TimeoutException:
                raise InputError(
                    f"StatBank table {table}: no answer from {url} within {self.timeout:g} s "
                    "(try again later; SSB's API is busy around the 08:00 releases)"
                ) from None
            except httpx.HTTPError as exc:
                raise InputError(
                    f"StatBank table {table}: cannot reach {url} ({exc}); behind a firewall, "
                    "download the table by hand and use `helsemodlite inputs import FILE "
                    f"--table {table}`"
                ) from None
            finally:
                self._last = time.monotonic()
                self.requests += 1
            if resp.status_code == 429 and attempt < RETRIES:
                self._wait(table, resp)
                continue
            if resp.status_code in (400, 403) and _too_many_cells(resp):
                raise TooManyCells(table)
            if resp.status_code >= 400:
                raise InputError(
                    f"StatBank table {table}: {method} {url} answered {resp.status_code} "
                    f"({_problem(resp)})"
                )
            try:
                return resp.json()
            except ValueError:
                raise InputError(
                    f"StatBank table {table}: {url} did not answer with JSON"
                ) from None
        raise InputError(  # pragma: no cover - the loop returns or raises
            f"StatBank table {table}: still 'too many requests' after {RETRIES} waits"
        )

    def _wait(self, table: str, resp: Any) -> None:
        wait = _retry_after(resp.headers.get("Retry-After"))
        if wait > MAX_WAIT:
            raise InputError(
                f"StatBank table {table}: SSB asks to wait {number(wait)} s before the next "
                "request (too many requests); try again later"
            )
        self.sleep(wait)

    def table(self, table: str) -> dict[str, Any]:
        """``GET /tables/{id}``: label, ``updated``, ``discontinued``, first and last period."""
        doc = self._request("GET", f"/tables/{table}", table, params={"lang": self.lang})
        if not isinstance(doc, dict):
            raise InputError(f"StatBank table {table}: /tables/{table} is not a JSON object")
        return doc

    def metadata(self, table: str) -> dict[str, Any]:
        """``GET /tables/{id}/metadata``: a JSON-stat2 dataset without values."""
        doc = self._request("GET", f"/tables/{table}/metadata", table, params={"lang": self.lang})
        if not isinstance(doc, dict):
            raise InputError(f"StatBank table {table}: metadata is not a JSON object")
        return doc

    def data(self, table: str, selection: dict[str, list[str]]) -> list[dict[str, Any]]:
        """The selected cells as one or more JSON-stat2 extracts (in order), each within the
        cell limit."""
        out: list[dict[str, Any]] = []
        for part in split(selection, self.max_cells):
            out.extend(self._data_part(table, part))
        return out

    def _data_part(self, table: str, selection: dict[str, list[str]]) -> list[dict[str, Any]]:
        body = {
            "selection": [{"variableCode": k, "valueCodes": list(v)} for k, v in selection.items()]
        }
        params = {"lang": self.lang, "outputFormat": "json-stat2"}
        try:
            return [self._request("POST", f"/tables/{table}/data", table, params=params, json=body)]
        except TooManyCells:
            halves = split(selection, max(cells(selection) // 2, 1))
            if len(halves) < 2:
                raise InputError(
                    f"StatBank table {table}: the server refuses even one cell as too many"
                ) from None
            return [doc for h in halves for doc in self._data_part(table, h)]


class TooManyCells(Exception):
    """The server refused an extract as larger than its cell limit."""


def cells(selection: dict[str, list[str]]) -> int:
    return math.prod(len(v) for v in selection.values())


def split(selection: dict[str, list[str]], limit: int) -> list[dict[str, list[str]]]:
    """The selection as extracts of at most ``limit`` cells: the longest dimension is cut into
    consecutive pieces (then the next, when one value of it is still too many)."""
    if cells(selection) <= limit:
        return [selection]
    dim = max(selection, key=lambda d: len(selection[d]))
    rest = cells(selection) // len(selection[dim])
    if rest > limit:  # one code of the longest dimension is still too much: cut the others
        return [
            piece for code in selection[dim] for piece in split({**selection, dim: [code]}, limit)
        ]
    per = max(limit // rest, 1)
    codes = selection[dim]
    return [{**selection, dim: codes[i : i + per]} for i in range(0, len(codes), per)]


MAX_WAIT = 300.0
"""The longest wait a 429 may ask for; a longer one stops with a message."""


def _retry_after(value: str | None) -> float:
    """Seconds from ``Retry-After`` (seconds or an HTTP date); 60 when absent or unreadable."""
    import email.utils

    if value is None:
        return 60.0
    try:
        wait = float(value)
    except ValueError:
        try:
            wait = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return 60.0
    return max(wait, 0.0) if math.isfinite(wait) else 60.0


def _problem(resp: Any) -> str:
    try:
        doc = resp.json()
    except ValueError:
        return resp.text[:200] or resp.reason_phrase
    if isinstance(doc, dict):
        return "; ".join(str(doc[k]) for k in ("title", "detail") if doc.get(k)) or str(doc)[:200]
    return str(doc)[:200]


def _too_many_cells(resp: Any) -> bool:
    return "too many cells" in _problem(resp).lower() or (
        resp.status_code == 403 and "exceed" in _problem(resp).lower()
    )
