"""Writing result tables as the results contract fixes them."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# Full precision without float noise: every CSV of results/ uses it.
FLOAT_FORMAT = "%.10g"

# A spreadsheet reads a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# ...unless the cell is a plain number ("-1.5", "+3", "-2,5" in a Dutch file), which stays as it is.
NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def neutralise_cell(value):
    """Text a spreadsheet would run as a formula gets a leading quote (shown, never run); numbers,
    other text and non-text values are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell neutralised; numeric, boolean and date columns are left alone."""
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if pd.api.types.is_object_dtype(dtype) or str(dtype) in ("string", "category"):
            out[column] = _neutralise_column(out[column].astype(object))
    return out


def _neutralise_column(column: pd.Series) -> pd.Series:
    """`column.map(neutralise_cell)`; a column of text (and missing values, left as they are) is
    neutralised once per distinct text."""
    values = column.to_numpy()
    if pd.api.types.infer_dtype(values, skipna=True) != "string":
        return column.map(neutralise_cell)
    text = ~pd.isna(values)
    codes, uniques = pd.factorize(values[text])
    values = values.copy()
    values[text] = np.array([neutralise_cell(u) for u in uniques] + [None], dtype=object)[codes]
    return pd.Series(values, index=column.index, name=column.name)


def write_table(table: pd.DataFrame, path) -> None:
    """CSV per the results contract: full precision, empty for missing, booleans as true/false, and no
    cell a spreadsheet would run as a formula."""
    out = neutralise_frame(table)
    for col in out.columns:
        if out[col].dtype == bool or str(out[col].dtype) == "boolean":
            out[col] = out[col].map({True: "true", False: "false"})
    out.to_csv(path, index=False, float_format=FLOAT_FORMAT, na_rep="", lineterminator="\n")
