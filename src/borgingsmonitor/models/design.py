"""Design matrices from formulas with patsy, fast at a million rows: factor columns become pandas
Categoricals and `C(col)` of a Categorical is unwrapped, so patsy reads the codes instead of looking
at every value in Python; the column names stay patsy's own."""

from __future__ import annotations

import re

import pandas as pd
import patsy


def formula_columns(formula: str, data: pd.DataFrame) -> list[str]:
    """The data columns a formula names (for listwise deletion)."""
    tokens = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", formula))
    return [c for c in data.columns if c in tokens]


def design_matrices(formula: str, sub: pd.DataFrame):
    """patsy's (y, X) for complete rows, fast for `C(col)` of Categorical columns, with patsy's own names."""
    fast, renamed = unwrap_factors(formula, sub)
    y, X = patsy.dmatrices(fast, sub, NA_action="raise", return_type="dataframe")
    X.columns = [rename_term(c, renamed) for c in X.columns]
    return y, X


def unwrap_factors(formula: str, sub: pd.DataFrame):
    """`C(col)` -> `col` for Categorical columns: patsy then reads the codes directly (it loops over
    every value in Python for a boxed factor); the names are restored by `rename_term`."""
    renamed = []
    for col in sorted(set(re.findall(r"C\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\)", formula))):
        bare = re.sub(r"C\(\s*" + re.escape(col) + r"\s*\)", "", formula)
        if (
            col in sub.columns
            and isinstance(sub[col].dtype, pd.CategoricalDtype)
            and not re.search(r"\b" + re.escape(col) + r"\b", bare)
        ):
            formula = re.sub(r"C\(\s*" + re.escape(col) + r"\s*\)", col, formula)
            renamed.append(col)
    return formula, renamed


def rename_term(name: str, renamed) -> str:
    parts = name.split(":")
    for i, part in enumerate(parts):
        for col in renamed:
            if part.startswith(col + "["):
                parts[i] = f"C({col})" + part[len(col) :]
    return ":".join(parts)


def patsy_ready(formula: str, sub: pd.DataFrame, exclude=()) -> dict:
    """Columns converted so patsy is fast and NA-safe: nullable numbers to float, and columns used
    as factors (inside C(...), or text) to pandas Categoricals, which patsy reads by their codes
    instead of looking at every value in Python."""
    factors = set(re.findall(r"C\(\s*([A-Za-z_][A-Za-z0-9_.]*)", formula))
    out = {}
    for col in sub.columns:
        if col in exclude:
            continue
        s = sub[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            continue
        if col in factors or pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype):
            out[col] = pd.Categorical(
                s.to_numpy(dtype=object) if not pd.api.types.is_numeric_dtype(s.dtype) else s.to_numpy()
            )
        elif isinstance(s.dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_numeric_dtype(s.dtype):
            out[col] = s.to_numpy(dtype=float)
    return out
