"""per_distinct is `map` that calls the function once per distinct value, whatever the column holds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from borgingsmonitor.core.distinct import Distinct, per_distinct, per_distinct_many

# What adapters hand over: text, SPSS and Excel numbers, booleans and every kind of missing.
VALUES = st.one_of(
    st.text(max_size=4),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=False, width=16),
    st.booleans(),
    st.sampled_from([None, pd.NA, pd.NaT, float("nan")]),
)


def typed(value):
    """A result that tells 1, 1.0, True, None and NaN apart."""
    return (type(value).__name__, "nan" if isinstance(value, float) and math.isnan(value) else repr(value))


@given(st.lists(VALUES, max_size=40))
def test_equals_a_plain_map_on_any_column(values):
    column = pd.Series(values, dtype=object)
    assert per_distinct(column, typed).tolist() == [typed(v) for v in values]


@given(
    st.lists(
        st.one_of(st.sampled_from(["Eens", " eens", "Oneens", ""]), st.sampled_from([None, float("nan")])), max_size=60
    )
)
def test_text_columns_call_the_function_once_per_distinct_value(values):
    calls = []
    out = per_distinct(pd.Series(values, dtype=object), lambda v: calls.append(typed(v)) or typed(v))
    assert out.tolist() == [typed(v) for v in values]
    assert len(calls) == len(set(calls)) == len({typed(v) for v in values})


def test_one_batch_for_all_distinct_values():
    batches = []

    def upper_all(texts):
        batches.append(list(texts))
        return [t.upper() if isinstance(t, str) else t for t in texts]

    out = per_distinct_many(pd.Series(["ja", "nee", "ja", None, "nee"], index=[10, 11, 12, 13, 14]), upper_all)
    assert out.tolist() == ["JA", "NEE", "JA", None, "NEE"]
    assert out.index.tolist() == [10, 11, 12, 13, 14]
    assert batches == [["ja", "nee", None]]


def test_mixed_numbers_stay_apart():
    d = Distinct.of(pd.Series([1, 1.0, True, 1, "1"], dtype=object))
    assert [typed(v) for v in d.values] == [typed(1), typed(1.0), typed(True), typed("1")]
    assert d.codes.tolist() == [0, 1, 2, 0, 3]
    assert d.counts().tolist() == [2, 1, 1, 1]


def test_tuple_results_are_kept_whole():
    out = per_distinct(pd.Series(["a", "b", "a"]), lambda v: (v, len(v)))
    assert out.tolist() == [("a", 1), ("b", 1), ("a", 1)]


def test_empty_column():
    assert per_distinct(pd.Series([], dtype=object), str).tolist() == []
    assert per_distinct(pd.Series(np.array([], dtype=object)), str).dtype == object


def test_text_with_a_nul_character_is_its_own_value():
    """pandas' string hash table stops at NUL; an export can hold one (found by the number parser's test)."""
    out = per_distinct(pd.Series(["3\x00A", "3", "3\x00B", None], dtype=object), repr)
    assert out.tolist() == [repr("3\x00A"), repr("3"), repr("3\x00B"), repr(None)]


@given(st.lists(st.text(alphabet=st.sampled_from(["\x00", "a", "3", " "]), max_size=3), max_size=30))
def test_text_columns_equal_a_plain_map(values):
    column = pd.Series(values, dtype=object)
    assert per_distinct(column, typed).tolist() == [typed(v) for v in values]
