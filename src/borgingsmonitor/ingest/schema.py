"""The harmonised table's contract, checked with pandera before anything downstream reads it."""

from __future__ import annotations

import pandas as pd

from borgingsmonitor.core.contracts import TEST_MARKS
from borgingsmonitor.core.questionnaire import Questionnaire

LEADING = ["region", "wave", "source_file", "source_row", "tool", "submitted", "completed", "test_marker", "duration_s",
           "consent", "respondent_key", "partnership_value", "partnership_id", "role", "org_type", "phase",
           "years_involved", "fac_hours"]  # fmt: skip


def harmonised_columns(q: Questionnaire) -> list[str]:
    return [*LEADING, *q.item_codes, "comment"]


def harmonised_schema(q: Questionnaire):
    import pandera.pandas as pa  # only the gather validates: ingestion jobs are spared the import

    likert = pa.Column("Int64", pa.Check.isin([1, 2, 3, 4, 5]), nullable=True)
    columns = {
        "region": pa.Column(None, [text(pa), matches(pa, r"^[a-z0-9][a-z0-9-]*$")]),
        "wave": pa.Column("int64", pa.Check.in_range(1990, 2100)),
        "source_file": pa.Column(None, text(pa)),
        "source_row": pa.Column("int64", pa.Check.ge(0)),
        "tool": pa.Column(None, text(pa)),
        "submitted": pa.Column("datetime64[us]", nullable=True),
        "completed": pa.Column("boolean"),
        "test_marker": pa.Column("string", pa.Check.isin(list(TEST_MARKS)), nullable=True),
        "duration_s": pa.Column("Float64", nullable=True),
        "consent": pa.Column("string", pa.Check.isin(["yes", "no"]), nullable=True),
        "respondent_key": pa.Column("string", matches(pa, r"^[0-9a-f]{20}$"), nullable=True),
        "partnership_value": pa.Column("string", nullable=True),
        "partnership_id": pa.Column("string", nullable=True),
        "role": pa.Column("string", pa.Check.isin(list(q.questions["role"].options_nl)), nullable=True),
        "org_type": pa.Column("string", pa.Check.isin(list(q.questions["org_type"].options_nl)), nullable=True),
        "phase": pa.Column("string", pa.Check.isin(list(q.questions["phase"].options_nl)), nullable=True),
        "years_involved": pa.Column("Float64", nullable=True),
        "fac_hours": pa.Column("Float64", nullable=True),
        **{code: likert for code in q.item_codes},
        "comment": pa.Column("string", nullable=True),
    }
    assert list(columns) == harmonised_columns(q)
    return pa.DataFrameSchema(
        columns,
        strict=True,
        ordered=True,
        unique=["source_file", "source_row"],
        checks=pa.Check(
            lambda df: df["consent"].eq("yes").fillna(False) | df["respondent_key"].isna(),
            error="a response without consent keeps no key",
        ),
    )


def matches(pa, pattern: str):
    """pandera's str_matches, run by Arrow: the same failing rows, a fraction of the time at a million rows."""
    import pyarrow
    import pyarrow.compute as pc

    def check(values):
        text = pyarrow.array(values.astype(object).to_numpy(), type=pyarrow.string(), from_pandas=True)
        return pd.Series(pc.match_substring_regex(text, pattern).to_numpy(zero_copy_only=False), index=values.index)

    return pa.Check(check, name="str_matches", error=f"str_matches('{pattern}')")


def text(pa):
    """Every value is a str (what pandera's `str` dtype checks, value by value in Python: 1 s per column
    at a million rows); here one pass in C, and the value-by-value check only to name the bad rows."""

    def check(values):
        if pd.api.types.infer_dtype(values, skipna=False) == "string":
            return True
        return values.map(lambda v: isinstance(v, str)).astype(bool)

    return pa.Check(check, name="is_text", error="every value is text")
