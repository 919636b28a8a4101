"""Scale scores: reverse keying and the two-thirds rule of the analysis plan.

Item columns in the clean data stay as answered; reversing happens only inside
`keyed_items`, so every consumer (scores, reliability, CFA) reverses exactly once.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from borgingsmonitor.core.questionnaire import Questionnaire

LIKERT_MIN = 1
LIKERT_MAX = 5


def as_float(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable integer/float columns as float64 with NaN for missing."""
    return pd.DataFrame(
        {
            c: pd.to_numeric(frame[c], errors="raise").astype("Float64").to_numpy("float64", na_value=np.nan)
            for c in frame.columns
        },
        index=frame.index,
    )


def check_likert(items: pd.DataFrame) -> None:
    values = items.to_numpy()
    bad = ~np.isnan(values) & ((values < LIKERT_MIN) | (values > LIKERT_MAX) | (values != np.round(values)))
    if bad.any():
        cols = sorted({items.columns[j] for j in np.nonzero(bad)[1]})
        raise ValueError(f"Likert items outside {LIKERT_MIN}..{LIKERT_MAX}: {', '.join(cols)}")


def reverse_key(items: pd.DataFrame, reverse: list[str]) -> pd.DataFrame:
    """Return a copy with the `reverse` columns mapped x -> (min + max) - x (6 - x on 1..5)."""
    out = items.copy()
    for code in reverse:
        if code in out.columns:
            out[code] = (LIKERT_MIN + LIKERT_MAX) - out[code]
    return out


def keyed_items(df: pd.DataFrame, questionnaire: Questionnaire, scale: str) -> pd.DataFrame:
    """The scale's items as float64 (NaN missing), reverse-keyed items reversed, in questionnaire order."""
    codes = questionnaire.scales[scale]
    missing = [c for c in codes if c not in df.columns]
    if missing:
        raise KeyError(f"scale {scale}: item columns missing from data: {', '.join(missing)}")
    items = as_float(df[codes])
    check_likert(items)
    reverse = [c for c in codes if c in questionnaire.reverse_items]
    return reverse_key(items, reverse)


def min_answered(n_items: int, min_fraction: float) -> int:
    """Smallest number of answered items that is at least `min_fraction` of `n_items`."""
    return max(1, math.ceil(n_items * min_fraction - 1e-9))


def score_items(items: pd.DataFrame, min_fraction: float = 2 / 3) -> pd.Series:
    """Row mean of keyed items where enough are answered, else NaN."""
    answered = items.notna().sum(axis=1)
    mean = items.mean(axis=1, skipna=True)
    return mean.where(answered >= min_answered(items.shape[1], min_fraction))


def score_scales(df: pd.DataFrame, questionnaire: Questionnaire, min_fraction: float = 2 / 3) -> pd.DataFrame:
    """Return `df` with one float column per scale (REL, FAC, ...) added or overwritten.

    A score is the mean of the scale's items after reverse keying, when at least
    `min_fraction` of its items are answered; otherwise NaN. Item columns are untouched.
    """
    if not 0 < min_fraction <= 1:
        raise ValueError("min_fraction must be in (0, 1]")
    out = df.copy()
    for scale in questionnaire.scales:
        out[scale] = score_items(keyed_items(df, questionnaire, scale), min_fraction).astype("float64")
    return out
