"""The workbook's data rows written as text (report/xlsx_rows.py) are the bytes openpyxl writes cell by cell."""

from __future__ import annotations

import datetime as dt
import logging
import zipfile

import numpy as np
import pandas as pd
import pytest
from fixtures.columns import float_column
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from borgingsmonitor.report import spreadsheets as S
from borgingsmonitor.report import xlsx_rows

ROWS = st.integers(0, 7)
FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.1, -0.0, 1e20, 2 / 3, 123456789012345678.0, float("nan")]),
)
TEXTS = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
    st.sampled_from(["", " lead", "trail ", "   ", "a&b<c>d\"e'", "cr\rx\ny", "tab\tx", "é€😀", "'=1+2", "inf"]),
)
MIXED = st.one_of(st.none(), st.booleans(), st.integers(-(10**18), 10**18), FLOATS, TEXTS)


def column(kind: str, n: int):
    """A strategy for one column of `n` values of a dtype the clean data and the tables use."""
    if kind in ("float", "Float64"):
        return float_column(kind, n, FLOATS)
    if kind == "int":
        return st.lists(st.integers(-(2**62), 2**62), min_size=n, max_size=n).map(lambda v: pd.Series(v, dtype="int64"))
    if kind == "Int64":
        values = st.one_of(st.none(), st.integers(-(2**62), 2**62))
        return st.lists(values, min_size=n, max_size=n).map(lambda v: pd.Series(v, dtype="Int64"))
    if kind == "bool":
        return st.lists(st.booleans(), min_size=n, max_size=n).map(lambda v: pd.Series(v, dtype=bool))
    if kind == "boolean":
        values = st.one_of(st.none(), st.booleans())
        return st.lists(values, min_size=n, max_size=n).map(lambda v: pd.Series(v, dtype="boolean"))
    if kind == "string":
        values = st.one_of(st.none(), TEXTS)
        return st.lists(values, min_size=n, max_size=n).map(lambda v: pd.Series(v, dtype="string"))
    return st.lists(MIXED, min_size=n, max_size=n).map(lambda v: pd.Series(v, dtype=object))


KINDS = ["float", "Float64", "int", "Int64", "bool", "boolean", "string", "object"]


@st.composite
def frames(draw) -> pd.DataFrame:
    n = draw(ROWS)
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=5))
    return pd.DataFrame({f"{kind}_{i}": draw(column(kind, n)).to_numpy() for i, kind in enumerate(kinds)})


def plain_or_skip(sheets: dict) -> bytes:
    try:
        return S.workbook_bytes(sheets, fast_rows=False)
    except IllegalCharacterError:
        assume(False)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames(), frames())
@example(pd.DataFrame({"float_0": [0.0, -0.0, np.nan]}), pd.DataFrame({"f": [-0.0, 0.0]}))  # equal, written apart
def test_fast_rows_are_the_bytes_openpyxl_writes(first, second):
    sheets = {"first": first, "a second sheet with a long name": second}
    plain = plain_or_skip(sheets)
    try:
        fast = S.workbook_bytes(sheets, fast_rows=True)
    except xlsx_rows.Unsupported:  # a formula, an error code: openpyxl writes those (tested below)
        assume(False)
    assert fast == plain


def test_many_rows_in_many_chunks_are_the_same_bytes(monkeypatch):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "region": rng.choice(["helmond", "den-bosch", "Zoë & co"], 3000),
            "score": np.round(rng.normal(3, 1, 3000), 3),
            "item": pd.array(rng.choice([1, 2, 3, 4, 5, None], 3000), dtype="Int64"),
        }
    )
    plain = S.workbook_bytes({"responses": frame}, fast_rows=False)
    monkeypatch.setattr(xlsx_rows, "ROWS_PER_CHUNK", 77)
    assert S.workbook_bytes({"responses": frame}, fast_rows=True) == plain


def test_a_sheet_over_the_zip64_limit_is_written_as_writestr_writes_it(monkeypatch):
    frame = pd.DataFrame({"region": ["helmond", "Zoë & co"] * 300, "score": np.arange(600) / 7})
    plain = S.workbook_bytes({"responses": frame}, fast_rows=False)
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 20_000)  # the sheet's XML is ~40 kB, the other members below
    assert S.workbook_bytes({"responses": frame}, fast_rows=True) == S.workbook_bytes(
        {"responses": frame}, fast_rows=False
    )
    assert S.workbook_bytes({"responses": frame}, fast_rows=True) != plain  # ZIP64 records were written


@settings(max_examples=80, deadline=None)
@given(frames())
def test_the_size_foreseen_is_the_size_written(frame):
    """The zip member's size is worked out before its rows are written (writestr decides on ZIP64 from it)."""
    try:
        columns = xlsx_rows.sheet_columns(frame)
    except xlsx_rows.Unsupported:
        assume(False)
    text = "".join(xlsx_rows.data_rows(columns, len(frame)))
    assert xlsx_rows.rows_size(columns, len(frame)) == len(text.encode("utf-8"))


@pytest.mark.parametrize("rows", [0, 1, 7, 8, 9, 97, 98, 99, 998, 999, 1000, 12345])
def test_row_number_digits(rows):
    assert xlsx_rows.digits(2, rows + 1) == sum(len(str(r)) for r in range(2, rows + 2))


@pytest.mark.parametrize(
    "values",
    [
        [dt.datetime(2024, 3, 1, 12, 0), None],  # a date: openpyxl gives it a number format
        ["#N/A", "x"],  # an error code
        ["x" * 40000, "y"],  # over Excel's cell limit: openpyxl cuts it
    ],
)
def test_what_the_fast_rows_do_not_write_openpyxl_writes(tmp_path, caplog, values):
    sheets = {"t": pd.DataFrame({"a": pd.Series(values, dtype=object), "b": [1.5, 2.0]})}
    with pytest.raises(xlsx_rows.Unsupported):
        S.workbook_bytes(sheets, fast_rows=True)
    with caplog.at_level(logging.INFO):
        S.write_workbook(sheets, tmp_path / "t.xlsx")
    assert (tmp_path / "t.xlsx").read_bytes() == S.workbook_bytes(sheets, fast_rows=False)
    assert "every cell written by openpyxl" in caplog.text


def test_equal_values_of_different_kinds_keep_their_own_cells():
    codes, texts = xlsx_rows.column_cells(pd.Series([1, 1.0, True, "1", None], dtype=object))
    cells = list(texts[codes])
    assert cells[0] == cells[1] == ' t="n"><v>1</v></c>'
    assert cells[2] == ' t="b"><v>1</v></c>'
    assert cells[3].startswith(' t="inlineStr"><is><t>1<')
    assert cells[4] == xlsx_rows.EMPTY
