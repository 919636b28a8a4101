"""A worksheet's data rows as the XML openpyxl writes for `DataFrame.to_excel`, without a cell object per
value: each column's distinct values are formatted once and the rows are joined as text.

openpyxl builds a Python object per cell and serialises each through lxml (~15 us a cell: 113 CPU s for
the clean data at 200,000 responses). `spreadsheets.write_workbook` lets openpyxl write each sheet with
its header row only (styles, widths, panes, filter) and puts these rows in; the bytes are the same as
when openpyxl writes every cell (tests/test_report_xlsx_rows.py). A value this module does not write
the way openpyxl does (a date, a formula, an error code, a control character, text over Excel's cell
limit) raises `Unsupported`, and the workbook is then written by openpyxl alone.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

EMPTY = ' t="inlineStr"></c>'
EXCEL_TEXT_LIMIT = 32767  # openpyxl cuts longer text; such a sheet is left to it
ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
TO_ESCAPE = re.compile("[&<>\r]")
ROWS_PER_CHUNK = 5000


class Unsupported(ValueError):
    """A value the fast rows do not write as openpyxl would: write the workbook with openpyxl."""


def text_cell(value: str) -> str:
    """A string cell's attributes and content, escaped as lxml does (non-ASCII as character references)."""
    if len(value) > EXCEL_TEXT_LIMIT or ILLEGAL_CHARACTERS_RE.search(value):
        raise Unsupported(f"text openpyxl would change or refuse: {value[:40]!r}")
    if (len(value) > 1 and value.startswith("=")) or value in ERROR_CODES:
        raise Unsupported(f"text openpyxl writes as a formula or an error: {value[:40]!r}")
    if value == "":
        return EMPTY
    body = TO_ESCAPE.sub(lambda m: ESCAPES[m.group()], value).encode("ascii", "xmlcharrefreplace").decode("ascii")
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f' t="inlineStr"><is><t{space}>{body}</t></is></c>'


def number_cell(value) -> str:
    """An int or float as pandas hands it to openpyxl: missing is empty, infinity the text 'inf'."""
    if isinstance(value, float):
        if math.isnan(value):
            return EMPTY
        if math.isinf(value):
            return text_cell("inf" if value > 0 else "-inf")
    return f' t="n"><v>{"%.16g" % value}</v></c>'  # noqa: UP031 (openpyxl's safe_string, to the byte)


def value_cell(value) -> str:
    """Any one value of an object column, as pandas' `_format_value` and `_value_with_fmt` pass it on."""
    if isinstance(value, str):
        return text_cell(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return EMPTY
    if isinstance(value, bool | np.bool_):
        return f' t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | np.integer):
        return number_cell(int(value))
    if isinstance(value, float | np.floating):
        return number_cell(float(value))
    raise Unsupported(f"a {type(value).__name__} value")


def column_cells(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each row's cell text after `<c r="A2"` as (codes, texts): texts[codes] is the column's cells, each
    distinct value formatted once."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return _per_distinct(column.astype(object).where(column.notna(), None).to_numpy(), value_cell)
    if pd.api.types.is_float_dtype(dtype):
        return _float_cells(column)
    if pd.api.types.is_integer_dtype(dtype):
        codes, uniques = pd.factorize(column, use_na_sentinel=True)  # as integers, not objects: 13 times faster
        return codes, np.array([number_cell(int(u)) for u in uniques] + [EMPTY], dtype=object)
    if pd.api.types.is_numeric_dtype(dtype):
        values = column.astype(object).where(column.notna(), None).to_numpy()
        return _per_distinct(values, lambda v: EMPTY if v is None else number_cell(int(v)))
    if not pd.api.types.is_object_dtype(dtype) and str(dtype) != "string":
        raise Unsupported(f"a column of dtype {dtype}")
    values = column.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return _per_distinct(values, lambda v: EMPTY if not isinstance(v, str) else text_cell(v))
    # mixed types: 1, 1.0 and True are equal but written differently, so each value is formatted
    return np.arange(len(values)), np.array([value_cell(v) for v in values], dtype=object)


def _float_cells(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Floats grouped by their bits, not their value: 0.0 and -0.0 are equal but openpyxl writes '0' and '-0'."""
    numbers = column.to_numpy(dtype=float, na_value=np.nan)
    codes, uniques = pd.factorize(numbers.view(np.int64))
    codes[np.isnan(numbers)] = -1
    return codes, np.array([number_cell(float(u)) for u in uniques.view(np.float64)] + [EMPTY], dtype=object)


def _per_distinct(values: np.ndarray, cell) -> tuple[np.ndarray, np.ndarray]:
    """`cell` of each distinct value (missing as None, at code -1); only for columns of one kind, where
    equal values are written alike."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, np.array([cell(v) for v in uniques] + [cell(None)], dtype=object)


def sheet_columns(frame: pd.DataFrame) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Per column (`<c r="` and its letter, codes, '"' + each cell text): `column_cells`, laid out for `data_rows`."""
    columns = []
    for i in range(frame.shape[1]):
        codes, texts = column_cells(frame.iloc[:, i])
        columns.append((f'<c r="{get_column_letter(i + 1)}', codes, np.array(['"' + t for t in texts], dtype=object)))
    return columns


def data_rows(columns: list[tuple[str, np.ndarray, np.ndarray]], rows: int) -> Iterator[str]:
    """The `<row>` elements after the header row, in chunks of text.

    A row is `<row r="R">` and per column `<c r="` letter R `"` cell, then `</row>`: a chunk is one
    join of those pieces laid out as a rows x pieces array, filled a column at a time."""
    width = 3 * len(columns) + 4
    for start in range(0, rows, ROWS_PER_CHUNK):
        stop = min(start + ROWS_PER_CHUNK, rows)
        numbers = np.array([str(r) for r in range(start + 2, stop + 2)], dtype=object)
        pieces = np.empty((stop - start, width), dtype=object)
        pieces[:, 0], pieces[:, 1], pieces[:, 2], pieces[:, -1] = '<row r="', numbers, '">', "</row>"
        for j, (prefix, codes, texts) in enumerate(columns):
            pieces[:, 3 * j + 3], pieces[:, 3 * j + 4], pieces[:, 3 * j + 5] = prefix, numbers, texts[codes[start:stop]]
        yield "".join(pieces.ravel().tolist())


def rows_size(columns: list[tuple[str, np.ndarray, np.ndarray]], rows: int) -> int:
    """The UTF-8 bytes of all `data_rows` chunks, without writing them."""
    size = rows * len('<row r="">' + "</row>") + digits(2, rows + 1) * (1 + len(columns))
    for prefix, codes, texts in columns:
        lengths = np.array([len(text.encode("utf-8")) for text in texts], dtype=np.int64)
        size += rows * len(prefix) + int(lengths[codes].sum())
    return size


def digits(first: int, last: int) -> int:
    """The digits of all the numbers from `first` to `last`."""
    total, low = 0, 1
    while low <= last:
        total += len(str(low)) * max(0, min(last, 10 * low - 1) - max(first, low) + 1)
        low *= 10
    return total


def cell_range(frame: pd.DataFrame, rows: int | None = None) -> str:
    """The cells of the header and `rows` data rows (all by default): openpyxl's `dimensions`."""
    rows = len(frame) if rows is None else rows
    return f"A1:{get_column_letter(frame.shape[1])}{rows + 1}"


def splice(header_sheet: str, frame: pd.DataFrame) -> tuple[int, Iterator[str]]:
    """The sheet openpyxl wrote with only the header row, with the frame's rows put in and its
    dimension widened to them: (its size in UTF-8 bytes, its text in chunks)."""
    old, new = (f'<dimension ref="{cell_range(frame, rows)}"/>' for rows in (0, len(frame)))
    if header_sheet.count(old) != 1 or header_sheet.count("</row></sheetData>") != 1:
        raise Unsupported("the header-only sheet is not as expected")
    head, tail = header_sheet.replace(old, new).split("</row></sheetData>")
    head, tail, columns = head + "</row>", "</sheetData>" + tail, sheet_columns(frame)
    size = len(head.encode("utf-8")) + rows_size(columns, len(frame)) + len(tail.encode("utf-8"))
    return size, itertools.chain([head], data_rows(columns, len(frame)), [tail])
