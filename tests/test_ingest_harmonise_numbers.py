"""Number parsing: a decimal comma reads as a decimal point; text is invalid, missing and listed as a value issue."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from ingest_files import google_settings, responses, run_ingest, write_google_forms

from borgingsmonitor.ingest.harmonise import _numbers

SETTINGS = settings(max_examples=300, deadline=None)
DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=6)


@given(DIGITS, DIGITS, st.sampled_from(["", "-", "+"]), st.sampled_from(["", " ", "  "]))
@SETTINGS
def test_decimal_comma_equals_decimal_point(whole, fraction, sign, pad):
    comma, point = f"{pad}{sign}{whole},{fraction}{pad}", f"{sign}{whole}.{fraction}"
    values, bad = _numbers(pd.Series([comma, point], dtype=object))
    assert not bad.any()
    assert values.iloc[0] == values.iloc[1] == float(point)


@given(st.integers(min_value=-10_000, max_value=10_000) | st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
@SETTINGS
def test_numbers_from_binary_files_pass_through(number):
    values, bad = _numbers(pd.Series([number], dtype=object))
    assert values.iloc[0] == float(number) and not bad.iloc[0]


@given(st.text(min_size=1, max_size=20))
@SETTINGS
def test_text_is_invalid_and_flagged(text):
    assume(any(c.isalpha() for c in text))
    values, bad = _numbers(pd.Series([text, "3"], dtype=object))
    assert math.isnan(values.iloc[0]) and bad.tolist() == [True, False]


@pytest.mark.parametrize("text", ["ongeveer 4", "4 uur", "4-6", "1.000,5", "4,", ",5", "vier", "4..6", "4,6,8", "½"])
def test_typed_text_that_is_no_plain_number_is_invalid(text):
    values, bad = _numbers(pd.Series([text], dtype=object))
    assert math.isnan(values.iloc[0]) and bad.iloc[0]


@pytest.mark.parametrize("blank", [None, "", "   ", float("nan")])
def test_blank_is_missing_not_invalid(blank):
    values, bad = _numbers(pd.Series([blank], dtype=object))
    assert math.isnan(values.iloc[0]) and not bad.iloc[0]


def test_invalid_numbers_are_listed_with_file_row_column_and_value(tmp_path):
    rows = [dict(r) for r in responses(6, seed=5)]
    rows[0]["hours"], rows[1]["hours"], rows[4]["years"] = "4,6", "ongeveer 4", "vijf"
    table, issues = run_ingest(tmp_path, write_google_forms(tmp_path / "g.csv", rows), google_settings())
    assert table["fac_hours"].iloc[0] == pytest.approx(4.6)
    assert pd.isna(table["fac_hours"].iloc[1]) and pd.isna(table["years_involved"].iloc[4])
    assert issues[["source_file", "source_row", "column", "problem", "value"]].values.tolist() == [
        ["g.csv", 4, "years_involved", "not_a_number", "vijf"],
        ["g.csv", 1, "fac_hours", "not_a_number", "ongeveer 4"],
    ]
