"""Descriptive table of the scale scores per group, with the shared small-cell rule."""

from __future__ import annotations

import pandas as pd

from borgingsmonitor.core.disclosure import DEFAULT_MIN_GROUP_SIZE, suppress_small

GROUP_TYPES = ("all", "region", "wave", "role", "org_type", "partnership")
GROUP_COLUMNS = {"region": "region", "wave": "wave", "role": "role", "org_type": "org_type",
                 "partnership": "partnership_id"}
DESCRIPTIVE_COLUMNS = ["scale", "group_type", "group", "n", "mean", "sd", "suppressed"]


def describe(values: pd.Series) -> dict:
    v = pd.to_numeric(values, errors="raise").astype("float64").dropna()
    return {"n": len(v), "mean": v.mean() if len(v) else float("nan"),
            "sd": v.std(ddof=1) if len(v) > 1 else float("nan")}


def _group_rows(df: pd.DataFrame, scale: str, group_type: str, members: dict) -> list[dict]:
    if group_type == "all":
        return [{"scale": scale, "group_type": "all", "group": "all", **describe(df[scale])}]
    column = GROUP_COLUMNS[group_type]
    if column not in members:  # rows per group found once, not by comparing every row per group
        members[column] = df.groupby(column, sort=False, dropna=True, observed=True).indices
    groups = members[column]
    return [{"scale": scale, "group_type": group_type, "group": str(key), **describe(df[scale].iloc[groups[key]])}
            for key in sorted(groups, key=str)]


def descriptives_table(
    df: pd.DataFrame,
    scales: list[str],
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    group_types: tuple[str, ...] = GROUP_TYPES,
) -> pd.DataFrame:
    """descriptives.csv: n, mean, sd per scale and group; groups under the minimum are suppressed.

    n counts responses with a score on that scale; a group whose members all lack a score still
    appears (n = 0, suppressed). Rows with a missing group value belong to no group.
    """
    members: dict = {}
    rows = [row for scale in scales for gt in group_types for row in _group_rows(df, scale, gt, members)]
    table = pd.DataFrame(rows, columns=["scale", "group_type", "group", "n", "mean", "sd"])
    return suppress_small(table, ["mean", "sd"], "n", min_group_size)[DESCRIPTIVE_COLUMNS]
