"""The one small-cell rule: nothing describes fewer than `min_group_size` respondents.

Every table, figure and feedback sheet that shows groups calls `small_groups` or
`suppress_small`, so the rule lives in one place.
"""

from __future__ import annotations

import pandas as pd

DEFAULT_MIN_GROUP_SIZE = 5


def is_small(n, min_group_size: int = DEFAULT_MIN_GROUP_SIZE):
    """True where a group of size n may not be shown (works on scalars and Series)."""
    return n < min_group_size


def suppress_small(
    table: pd.DataFrame,
    value_columns: list[str],
    n_column: str = "n",
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> pd.DataFrame:
    """Blank `value_columns` where `n_column` is under the minimum; add a `suppressed` flag."""
    out = table.copy()
    small = is_small(out[n_column], min_group_size)
    for col in value_columns:
        out[col] = out[col].astype("Float64").mask(small)
    out["suppressed"] = small.astype(bool)
    return out
