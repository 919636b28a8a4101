"""An SPSS file's data rows as the bytes pyreadstat writes, built from numpy arrays instead of cell by cell.

pyreadstat passes each cell through Python and asks `pd.isna` of each value of a column with missing
values (24 CPU s for the clean data at 1M responses). `write` lets pyreadstat write a sample of the
frame's rows (the dictionary before the rows depends on the data only through each text column's
longest value and the number of rows), checks that the sample's rows are the bytes `records` makes of
them, and writes the dictionary with the full row count and every row as `records` makes it. Uncompressed,
a row is each column's cell one after another: a number as its 8 bytes, missing as SPSS's system-missing
value (-DBL_MAX), a text as its UTF-8 bytes padded with spaces to a multiple of 8. A column this module
does not write as pyreadstat does (not floats nor texts, all missing, text over 255 bytes or with a NUL
character) raises `Unsupported`, and pyreadstat then writes every cell.
"""

from __future__ import annotations

import struct
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from borgingsmonitor.report.xlsx_rows import Unsupported

SYSMIS = -sys.float_info.max
SHORT_TEXT_LIMIT = 255  # longer texts are split into segments
ROW_COUNT_AT = 80  # in the file header
CASE_SIZE_AT = 68
ROWS_PER_CHUNK = 100_000


def write(frame: pd.DataFrame, path, **metadata) -> None:
    """`frame` as `pyreadstat.write_sav(frame, path, **metadata)` writes it, uncompressed."""
    import pyreadstat

    if not (0 < len(frame) <= np.iinfo(np.int32).max) or not frame.shape[1]:
        raise Unsupported(f"{frame.shape[0]} rows and {frame.shape[1]} columns")
    columns = [column_cells(frame.iloc[:, i]) for i in range(frame.shape[1])]
    sample = sample_rows(columns)
    with tempfile.TemporaryDirectory() as folder:
        pyreadstat.write_sav(frame.iloc[sample], f"{folder}/sample.sav", **metadata)
        written = Path(folder, "sample.sav").read_bytes()
    rows = records(columns, sample).tobytes()
    if not written.endswith(rows):
        raise Unsupported("pyreadstat writes the sample's rows otherwise")
    dictionary = with_row_count(written[: -len(rows)], len(sample), len(frame), len(rows) // len(sample))
    with open(path, "wb") as out:
        out.write(dictionary)
        for start in range(0, len(frame), ROWS_PER_CHUNK):
            out.write(records(columns, slice(start, start + ROWS_PER_CHUNK)).tobytes())


def column_cells(column: pd.Series) -> tuple[np.ndarray | None, np.ndarray, set[int]]:
    """The column's cells as (codes, cells, rows): cells[codes] (numbers: cells) is each row's bytes in
    the file, and `rows` the column's first missing row and first row with its longest text, which the
    sample needs."""
    if pd.api.types.is_float_dtype(column.dtype):
        numbers = column.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(numbers)
        return None, np.where(missing, SYSMIS, numbers), first(missing)
    if not (pd.api.types.is_object_dtype(column.dtype) or pd.api.types.is_string_dtype(column.dtype)):
        raise Unsupported(f"a column of dtype {column.dtype}")
    values = column.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) != "string":
        raise Unsupported(f"column {column.name} is not text alone")
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = [text.encode("utf-8") for text in uniques]
    lengths = [len(text) for text in texts]
    if max(lengths) > SHORT_TEXT_LIMIT or any(b"\0" in text for text in texts):
        raise Unsupported(f"column {column.name} has a text pyreadstat writes in segments or cuts")
    size = (max(1, *lengths) + 7) // 8 * 8  # pyreadstat gives a text at least 1 byte
    cells = np.array([text.ljust(size) for text in texts] + [b" " * size], dtype=f"S{size}")
    return codes, cells, first(codes == -1) | first(codes == int(np.argmax(lengths)))


def first(rows: np.ndarray) -> set[int]:
    """The first true row, if any."""
    return {int(np.argmax(rows))} if rows.any() else set()


def sample_rows(columns: list[tuple]) -> list[int]:
    """The first row and the rows each column needs."""
    return sorted({0}.union(*(rows for _, _, rows in columns)))


def records(columns: list[tuple], rows) -> np.ndarray:
    """The given rows as one record per row, its fields the columns' cells in the file's layout."""
    fields = [cells[rows] if codes is None else cells[codes[rows]] for codes, cells, _ in columns]
    out = np.empty(len(fields[0]), dtype=[(f"c{i}", field.dtype) for i, field in enumerate(fields)])
    for i, field in enumerate(fields):
        out[f"c{i}"] = field
    return out


def with_row_count(dictionary: bytes, old: int, new: int, row_size: int) -> bytes:
    """The dictionary with `new` rows instead of `old`: in the file header and in the record of the
    number of cases that ends it, before the dictionary's termination record."""
    tail = struct.pack("<4i2q2i", 7, 16, 8, 2, 1, old, 999, 0)
    header = (
        struct.unpack_from("<i", dictionary, ROW_COUNT_AT)[0],
        struct.unpack_from("<i", dictionary, CASE_SIZE_AT)[0],
    )
    if dictionary[:4] != b"$FL2" or header != (old, row_size // 8) or not dictionary.endswith(tail):
        raise Unsupported("the dictionary is not as expected")
    middle = dictionary[ROW_COUNT_AT + 4 : -len(tail)]
    return (
        dictionary[:ROW_COUNT_AT]
        + struct.pack("<i", new)
        + middle
        + struct.pack("<4i2q2i", 7, 16, 8, 2, 1, new, 999, 0)
    )
