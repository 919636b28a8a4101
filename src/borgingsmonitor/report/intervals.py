"""Confidence intervals of published means, without importing scipy.stats (~1.5 CPU s a job start):
the t quantile is scipy.special's, the function scipy.stats.t.ppf evaluates (tests compare the two)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import stdtrit


def t_quantile(p: float, df):
    """The p quantile of Student's t with df degrees of freedom (NaN where df <= 0 or is missing, as scipy.stats.t.ppf)."""
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(df > 0, stdtrit(np.where(df > 0, df, 1.0), p), np.nan)


def clustered_mean_ci(values: pd.Series, clusters: pd.Series, level: float = 0.95) -> tuple[float, float, float]:
    """Mean with a confidence interval that respects clustering: the cluster-robust (CR1) standard
    error of a mean, with t on G - 1 degrees of freedom for G clusters. Fewer than two clusters: no
    interval (NaN bounds)."""
    keep = values.notna() & clusters.notna()
    y, g = values[keep].astype(float), clusters[keep]
    n, groups = len(y), g.nunique()
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(y.mean())
    if groups < 2:
        return mean, float("nan"), float("nan")
    sums = (y - mean).groupby(g.to_numpy()).sum()
    se = float(np.sqrt(groups / (groups - 1) * (sums**2).sum()) / n)
    half = float(t_quantile(0.5 + level / 2, groups - 1)) * se
    return mean, mean - half, mean + half
