"""The one CSV writer: every CSV the portal offers goes through here.

Spreadsheet apps run a cell that starts with = + - @ (or a tab or carriage
return, which some of them strip first) as a formula, so a member who types
`=HYPERLINK(...)` as their name could make a staff member's spreadsheet call
out. Such cells are prefixed with an apostrophe, which spreadsheets show as
plain text. Numbers, dates and None are written as they are.
"""

import csv
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(file, *, header: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Write a header and rows to an open text file; returns the rows written."""
    writer = csv.writer(file)
    writer.writerow([safe_cell(name) for name in header])
    count = 0
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        count += 1
    return count


def csv_text(*, header: Sequence[str], rows: Iterable[Sequence]) -> str:
    buffer = io.StringIO()
    write_csv(buffer, header=header, rows=rows)
    return buffer.getvalue()


def csv_response(*, filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """A CSV download. Marked private and no-store: these files hold personal data."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    write_csv(response, header=header, rows=rows)
    return response
