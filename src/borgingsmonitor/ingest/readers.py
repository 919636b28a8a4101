"""Low-level readers shared by the adapters, with errors that name the file and what to fix."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from borgingsmonitor.core.errors import InputError


def require_file(path: Path) -> None:
    if not path.exists():
        raise InputError(
            path, "the file does not exist", fix="check the path under sources in the config (relative to input_dir)"
        )


def read_xlsx_export(path: Path, sheet: str | int = 0) -> pd.DataFrame:
    """Read one worksheet of an xlsx export: the first row names the columns, cells keep their Excel types
    (date cells are datetimes)."""
    require_file(path)
    try:
        data = pd.read_excel(path, sheet_name=sheet, dtype=object, engine="openpyxl")
    except Exception as err:  # openpyxl raises many types for a broken or mislabelled file
        raise InputError(
            path,
            f"cannot be read as an Excel workbook ({err})",
            fix="check that the file is the .xlsx the tool produced, and `sheet` for this source",
        ) from None
    data.columns = [str(c) for c in data.columns]
    data = data.reset_index(drop=True)
    data.index.name = "source_row"
    return data


def read_csv_export(path: Path, encoding: str = "utf-8", delimiter: str = ",", header_rows: int = 1):
    """Read a delimited export: its header rows as lists, and the data rows as a frame of strings.

    Quoted fields may hold newlines and delimiters. A BOM is dropped. Blank lines are not data rows.
    """
    require_file(path)
    encoding = _codec(path, encoding)
    headers = _header_rows(path, encoding, delimiter, header_rows)
    columns = _unique(path, headers[0])
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding=encoding, column_names=columns, skip_rows=header_rows, block_size=1 << 24
            ),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in columns},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return headers, _read_slowly(path, encoding, delimiter, header_rows, columns)
    frame = table.to_pandas(types_mapper=None)
    frame = frame.astype(object)
    frame.index.name = "source_row"
    return headers, frame


def _codec(path: Path, encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(
            path, f"unknown encoding {encoding!r}", fix="use a Python codec name such as utf-8, utf-8-sig or cp1252"
        ) from None
    return "utf-8-sig" if name == "utf-8" else name


def _header_rows(path: Path, encoding: str, delimiter: str, header_rows: int) -> list[list[str]]:
    with open(path, encoding=encoding, newline="", errors="strict") as handle:
        try:
            reader = csv.reader(handle, delimiter=delimiter)
            rows = []
            for record in reader:
                if record:
                    rows.append(record)
                if len(rows) == header_rows:
                    break
        except UnicodeDecodeError:
            _raise_decode_error(path, encoding, delimiter, header_rows)
    if len(rows) < header_rows:
        raise InputError(
            path,
            f"the file has fewer than {header_rows} header row(s)",
            fix="check that this is the export the config says it is",
        )
    return rows


def _read_slowly(path: Path, encoding: str, delimiter: str, header_rows: int, columns: list[str]) -> pd.DataFrame:
    """The exact, slower parse, used to say precisely which row is wrong."""
    try:
        text = path.read_bytes().decode(encoding)
    except UnicodeDecodeError:
        _raise_decode_error(path, encoding, delimiter, header_rows)
    records = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if r][header_rows:]
    for i, rec in enumerate(records):
        if len(rec) != len(columns):
            raise InputError(
                path,
                f"the row has {len(rec)} fields where the header has {len(columns)}",
                row=i,
                fix=f"check the delimiter ({delimiter!r}) and quoting for this source in the config, or repair the row",
            )
    frame = pd.DataFrame(records, columns=columns, dtype=object)
    frame.index.name = "source_row"
    return frame


def _raise_decode_error(path: Path, encoding: str, delimiter: str, header_rows: int):
    data = path.read_bytes()
    try:
        data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        row, column = _undecodable_field(data, encoding, delimiter, header_rows)
        raise InputError(
            path,
            f"byte {data[err.start : err.start + 1]!r} on line {line} cannot be decoded as {encoding}",
            row=row,
            column=column,
            fix="set `encoding` for this source in the config (cp1252 for CSV files saved from Dutch-locale Excel)",
        ) from None
    raise InputError(path, f"the file cannot be decoded as {encoding}")


def _undecodable_field(data: bytes, encoding: str, delimiter: str, header_rows: int):
    """The data row (None in the header) and column of the first byte that does not decode."""
    text = data.decode(encoding, errors="surrogateescape")
    records = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if r]
    bad = lambda field: any("\udc80" <= ch <= "\udcff" for ch in field)  # noqa: E731
    for i, record in enumerate(records):
        for j, field in enumerate(record):
            if bad(field):
                names = records[0]
                column = names[j] if j < len(names) and not bad(names[j]) else f"field {j + 1}"
                return (i - header_rows if i >= header_rows else None), column
    return None, None


def _unique(path: Path, columns: list[str]) -> list[str]:
    seen = set()
    for col in columns:
        if col in seen:
            raise InputError(
                path, "the column name appears twice in the header", column=col, fix="rename one of the two columns"
            )
        seen.add(col)
    return columns
