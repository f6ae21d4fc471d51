"""Cells for CSV and XLSX downloads that a spreadsheet shows as written and never runs as a formula."""

from __future__ import annotations

# Characters that make a spreadsheet read a cell as a formula (or, for tab and CR, hide one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A cell value shown as written: text that would start a formula gets a leading apostrophe; numbers stay
    numbers; None is an empty cell."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value
