"""Pictures and deliverables: charts (:mod:`.plot`, public as ``hm.plot``), the self-contained
HTML report (:mod:`.html`), the workbook (:mod:`.xlsx`) and the report folder
(:mod:`.build`). Takes computed objects (projections, comparisons, simulations) and returns
figures or file contents; matplotlib and XlsxWriter are imported inside the functions only.
"""

from __future__ import annotations

from . import plot

__all__ = ["plot"]
