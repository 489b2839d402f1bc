"""CSV cells that a spreadsheet opens as text, never as a formula."""

from __future__ import annotations

# Excel, LibreOffice and Google Sheets start a formula (or DDE command) with these.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: str) -> str:
    """The value, with a leading apostrophe when a spreadsheet would read it as a formula
    (OWASP "CSV injection"): =HYPERLINK(…), +cmd|…, -1+1, @SUM(…)."""
    text = str(value)
    stripped = text.lstrip(" ")
    return "'" + text if stripped.startswith(_FORMULA_STARTS) else text
