"""Internal consistency: Cronbach's alpha with Feldt CI, McDonald's omega total, item statistics.

Deletion rule everywhere: listwise within the scale (a response counts for a scale only when
all of that scale's items are answered), as SPSS RELIABILITY does. Alpha is the raw
(covariance-based) alpha; the CI is Feldt's (1965) F-based interval, identical to
psych::alpha.ci and to the SPSS ICC "consistency, average measures" interval. Omega total is
McDonald's (Σλ)² / ((Σλ)² + Σθ) from a one-factor ML model on the item covariances.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats
from threadpoolctl import threadpool_limits

from borgingsmonitor.core.disclosure import DEFAULT_MIN_GROUP_SIZE, suppress_small
from borgingsmonitor.core.questionnaire import Questionnaire
from borgingsmonitor.core.scales import keyed_items

RELIABILITY_COLUMNS = ["scale", "wave", "n", "n_items", "alpha", "alpha_ci_low", "alpha_ci_high", "omega"]
ITEM_COLUMNS = [
    "scale",
    "wave",
    "item",
    "reverse",
    "n",
    "mean",
    "sd",
    "item_rest_r",
    "alpha_if_dropped",
]


def complete_cases(items: pd.DataFrame) -> pd.DataFrame:
    """Listwise deletion within the item set."""
    return items.dropna(how="any")


def cronbach_alpha(items: pd.DataFrame) -> float:
    """Raw Cronbach's alpha on the complete cases of `items`."""
    x = complete_cases(items).to_numpy(dtype="float64")
    n, k = x.shape
    if k < 2 or n < 2:
        return float("nan")
    cov = np.cov(x, rowvar=False, ddof=1)
    total = cov.sum()
    if total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1 - np.trace(cov) / total))


def feldt_ci(alpha: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt (1965) confidence interval for alpha (as psych::alpha.ci)."""
    if not np.isfinite(alpha) or n < 2 or k < 2:
        return float("nan"), float("nan")
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - level) / 2
    low = 1 - (1 - alpha) * stats.f.ppf(1 - tail, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(tail, df1, df2)
    return float(low), float(high)


def _one_factor_objective(params: np.ndarray, r: np.ndarray, k: int):
    lam, psi = params[:k], params[k:]
    sigma = np.outer(lam, lam) + np.diag(psi)
    sign, logdet = np.linalg.slogdet(sigma)
    if sign <= 0:
        return np.inf, np.zeros_like(params)
    inv = np.linalg.inv(sigma)
    value = logdet + np.trace(r @ inv)
    g = inv - inv @ r @ inv
    return value, np.concatenate([2 * g @ lam, np.diag(g)])


def one_factor_ml(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ML one-factor model of a covariance matrix: (loadings, unique variances), raw metric.

    Fitted on the correlation matrix (ML is scale invariant) and rescaled; the sign is
    chosen so the loadings sum to a positive number.
    """
    cov = np.asarray(cov, dtype="float64")
    k = cov.shape[0]
    sd = np.sqrt(np.diag(cov))
    r = cov / np.outer(sd, sd)
    values, vectors = np.linalg.eigh(r)
    lam0 = vectors[:, -1] * np.sqrt(values[-1]) * 0.9
    psi0 = np.clip(1 - lam0**2, 0.1, None)
    bounds = [(None, None)] * k + [(1e-6, None)] * k
    res = optimize.minimize(
        _one_factor_objective,
        np.concatenate([lam0, psi0]),
        args=(r, k),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 10000},
    )
    lam, psi = res.x[:k], res.x[k:]
    if lam.sum() < 0:
        lam = -lam
    return lam * sd, psi * sd**2


def omega_total(items: pd.DataFrame) -> float:
    """McDonald's omega total of the unit-weighted sum, one-factor ML, complete cases."""
    x = complete_cases(items).to_numpy(dtype="float64")
    n, k = x.shape
    if k < 3 or n <= k:
        return float("nan")
    cov = np.cov(x, rowvar=False, ddof=0)
    if np.any(np.diag(cov) <= 0):
        return float("nan")
    lam, psi = one_factor_ml(cov)
    common = lam.sum() ** 2
    return float(common / (common + psi.sum()))


def reliability_row(items: pd.DataFrame, level: float = 0.95) -> dict:
    """n, n_items, alpha with its Feldt CI and omega for one item set."""
    complete = complete_cases(items)
    n, k = complete.shape
    alpha = cronbach_alpha(complete)
    low, high = feldt_ci(alpha, n, k, level)
    return {
        "n": n,
        "n_items": k,
        "alpha": alpha,
        "alpha_ci_low": low,
        "alpha_ci_high": high,
        "omega": omega_total(complete),
    }


def item_statistics(items: pd.DataFrame) -> pd.DataFrame:
    """Per item on the complete cases: n, mean, sd, item-rest correlation, alpha if dropped."""
    complete = complete_cases(items)
    rows = []
    for code in complete.columns:
        rest = complete.drop(columns=code)
        x = complete[code]
        rest_sum = pd.Series(rest.to_numpy().sum(axis=1), index=rest.index)  # DataFrame.sum(axis=1): ~20x slower
        r = x.corr(rest_sum) if len(complete) > 1 and x.std() > 0 and rest_sum.std() > 0 else np.nan
        rows.append(
            {
                "item": code,
                "n": len(complete),
                "mean": x.mean(),
                "sd": x.std(ddof=1),
                "item_rest_r": r,
                "alpha_if_dropped": cronbach_alpha(rest),
            }
        )
    return pd.DataFrame(rows)


def _waves(df: pd.DataFrame) -> list:
    return [*sorted(df["wave"].dropna().unique().tolist()), "all"]


def _subsets(df: pd.DataFrame) -> dict:
    """Each wave's rows (and `all`), taken once for all scales."""
    return {wave: df if wave == "all" else df[df["wave"] == wave] for wave in _waves(df)}


def reliability_table(
    df: pd.DataFrame,
    questionnaire: Questionnaire,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    level: float = 0.95,
) -> pd.DataFrame:
    """reliability.csv: one row per scale and wave (each year and `all`), small cells suppressed."""
    rows, subsets = [], _subsets(df)
    with threadpool_limits(limits=1, user_api="blas"):  # tiny matrices: BLAS threads only cost
        for scale in questionnaire.scales:
            for wave, subset in subsets.items():
                items = keyed_items(subset, questionnaire, scale)
                rows.append({"scale": scale, "wave": str(wave), **reliability_row(items, level)})
    table = pd.DataFrame(rows, columns=RELIABILITY_COLUMNS)
    return suppress_small(table, ["alpha", "alpha_ci_low", "alpha_ci_high", "omega"], "n", min_group_size)


def item_statistics_table(
    df: pd.DataFrame,
    questionnaire: Questionnaire,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> pd.DataFrame:
    """item_statistics.csv: per scale, wave and item; reverse-keyed items described after reversing."""
    parts, subsets = [], _subsets(df)
    for scale in questionnaire.scales:
        for wave, subset in subsets.items():
            stats_ = item_statistics(keyed_items(subset, questionnaire, scale))
            stats_.insert(0, "scale", scale)
            stats_.insert(1, "wave", str(wave))
            stats_.insert(3, "reverse", stats_["item"].isin(questionnaire.reverse_items))
            parts.append(stats_)
    table = pd.concat(parts, ignore_index=True)[ITEM_COLUMNS]
    return suppress_small(table, ["mean", "sd", "item_rest_r", "alpha_if_dropped"], "n", min_group_size)
