"""helsemodlite: open projections of supply of and demand for health personnel in Norway."""

from __future__ import annotations

__version__ = "0.1.0"
