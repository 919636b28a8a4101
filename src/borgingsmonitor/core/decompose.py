"""The hybrid (within/between, Mundlak) split of a predictor, written once for the models, the
mediation and the simulator that must generate exactly what they fit."""

from __future__ import annotations

import pandas as pd


def within_between(frame: pd.DataFrame, names, by) -> pd.DataFrame:
    """Adds <name>_between (the mean of `by`'s group over these rows) and <name>_within (row - that mean).

    `by` is a column or a list of columns (a partnership within its region, say)."""
    keys = [by] if isinstance(by, str) else list(by)
    means = frame.groupby(keys, sort=False, observed=True)[list(names)].transform("mean")
    extra = {}
    for name in names:
        extra[f"{name}_between"] = means[name].to_numpy(float)
        extra[f"{name}_within"] = frame[name].to_numpy(float) - means[name].to_numpy(float)
    return frame.assign(**extra)
