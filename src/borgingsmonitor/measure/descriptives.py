"""Descriptive table of the scale scores per group, with the shared small-cell rule."""

from __future__ import annotations

import pandas as pd

from borgingsmonitor.core.disclosure import ALL, DEFAULT_MIN_GROUP_SIZE, protected_cells

GROUP_TYPES = ("all", "region", "wave", "role", "org_type", "partnership")
DESCRIPTIVE_COLUMNS = ["scale", "group_type", "group", "n", "mean", "sd", "suppressed"]


def descriptives_table(
    df: pd.DataFrame,
    scales: list[str],
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    group_types: tuple[str, ...] = GROUP_TYPES,
) -> pd.DataFrame:
    """descriptives.csv: n, mean, sd per scale and group, under the shared disclosure control.

    n counts responses with a score on that scale; a group whose members all lack a score still
    appears (suppressed). Rows with a missing group value belong to no group. A suppressed group
    (under the minimum, or hidden so that no other group's subtraction gives it away) shows no n.
    """
    margins = tuple(t for t in group_types if t in ("role", "org_type"))
    cells = protected_cells(df, scales, min_group_size, margins)
    cells = cells[cells["wave"] == ALL] if "wave" not in group_types else cells
    rows = []
    for group_type in group_types:
        rows.append(_rows_of(cells, group_type))
    table = pd.concat(rows, ignore_index=True).rename(columns={"geo": "group"})
    table["group_type"] = pd.Categorical(table["group_type"], categories=list(group_types))
    table["_scale"] = table["scale"].map({s: i for i, s in enumerate(scales)})
    table = table.sort_values(["_scale", "group_type", "group"], kind="mergesort")
    table["group_type"] = table["group_type"].astype(str)
    return table[DESCRIPTIVE_COLUMNS].reset_index(drop=True)


def _rows_of(cells: pd.DataFrame, group_type: str) -> pd.DataFrame:
    if group_type == "wave":
        part = cells[(cells["geo_type"] == ALL) & (cells["wave"] != ALL)].assign(geo=lambda d: d["wave"])
    else:
        part = cells[(cells["geo_type"] == group_type) & (cells["wave"] == ALL)]
    return part.assign(group_type=group_type)
