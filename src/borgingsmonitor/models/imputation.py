"""Multiple imputation by chained equations (predictive mean matching) and Rubin's rules.

Imputation works on the scale scores, not on the 20 items: the analysis model uses the scale
scores, a scale score already exists where two thirds of its items are answered, and item-level
chained equations on 20 five-point items with regional samples of a few hundred rows are
unstable. Predictive mean matching keeps imputed values within the observed 1..5 range. The
nesting enters through the leave-one-out partnership means of every imputed variable, used as
predictors (the cluster-means approach to imputing two-level data under a random-intercept model).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def _draw_regression(X, y, rng):
    """Posterior draw of OLS coefficients (flat prior): beta*, and the fitted beta_hat."""
    n, p = X.shape
    xtx_inv = np.linalg.pinv(X.T @ X)
    beta_hat = xtx_inv @ X.T @ y
    resid = y - X @ beta_hat
    df = max(n - p, 1)
    sigma2 = float(resid @ resid) / rng.chisquare(df)
    chol = np.linalg.cholesky(sigma2 * xtx_inv + 1e-12 * np.eye(p))
    return beta_hat + chol @ rng.standard_normal(p), beta_hat


def _pmm(y_obs, yhat_obs, yhat_mis, donors, rng, chunk: int = 2000):
    """For each missing row, the observed value of one of the `donors` closest predictions.

    The k closest of a sorted 1-D set lie among the k on either side of the insertion point, so
    only those 2k candidates are compared (O(log n) per row instead of O(n)); the donors are the
    same as a full scan's, up to the order of exact ties.
    """
    k = min(donors, len(y_obs))
    n_obs = len(y_obs)
    order = np.argsort(yhat_obs, kind="stable")
    sorted_hat = yhat_obs[order]
    out = np.empty(len(yhat_mis))
    for start in range(0, len(yhat_mis), chunk):
        part = yhat_mis[start : start + chunk]
        if k < n_obs:
            first = np.clip(np.searchsorted(sorted_hat, part) - k, 0, max(n_obs - 2 * k, 0))
            window = first[:, None] + np.arange(min(2 * k, n_obs))[None, :]
            dist = np.abs(part[:, None] - sorted_hat[window])
            pos = np.take_along_axis(window, np.argpartition(dist, k - 1, axis=1)[:, :k], axis=1)
            nearest = order[pos]
        else:
            nearest = np.tile(np.arange(k), (len(part), 1))
        nearest = np.sort(nearest, axis=1)
        pick = nearest[np.arange(len(part)), rng.integers(0, k, size=len(part))]
        out[start : start + chunk] = y_obs[pick]
    return out


def _cluster_means(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Leave-one-out cluster means per column (the grand mean for a cluster of one)."""
    counts = np.bincount(codes)[codes][:, None].astype(float)
    sums = np.column_stack([np.bincount(codes, weights=values[:, j])[codes] for j in range(values.shape[1])])
    grand = values.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        loo = (sums - values) / (counts - 1)
    return np.where(counts > 1, loo, grand)


def impute_chained(
    data: pd.DataFrame,
    impute: list[str],
    categorical: list[str],
    cluster: str,
    m: int = 20,
    seed: int = 20250,
    iterations: int = 10,
    donors: int = 5,
) -> list[pd.DataFrame]:
    """m completed copies of `data`; only the columns in `impute` change."""
    base = data.reset_index(drop=True)
    dummies = pd.get_dummies(base[categorical].astype(str), drop_first=True, dtype=float).to_numpy()
    groups = pd.factorize(base[cluster].astype(str), sort=True)[0]
    missing = {v: base[v].isna().to_numpy() for v in impute}
    targets = [v for v in impute if missing[v].any()]
    completed = []
    for child in np.random.SeedSequence(seed).spawn(m):
        rng = np.random.default_rng(child)
        cur = base[impute].astype(float).copy()
        for v in targets:
            observed = cur.loc[~missing[v], v].to_numpy()
            cur.loc[missing[v], v] = rng.choice(observed, size=missing[v].sum())
        for _ in range(iterations):
            for v in targets:
                cur[v] = _update(cur, v, missing[v], dummies, groups, donors, rng)
        out = base.copy()
        out[impute] = cur
        completed.append(out)
    return completed


def _update(cur, v, miss, dummies, groups, donors, rng):
    others = [c for c in cur.columns if c != v]
    means = _cluster_means(cur.to_numpy(), groups)
    X = np.column_stack([np.ones(len(cur)), cur[others].to_numpy(), dummies, means])
    y = cur[v].to_numpy()
    beta_star, beta_hat = _draw_regression(X[~miss], y[~miss], rng)
    new = y.copy()
    new[miss] = _pmm(y[~miss], X[~miss] @ beta_hat, X[miss] @ beta_star, donors, rng)
    return new


def rubin_pool(estimates: list[pd.Series], variances: list[pd.Series], df_complete: float, level: float = 0.95):
    """Rubin's rules: pooled estimate, total variance, Barnard-Rubin df, t intervals, lambda (share of variance due to missingness)."""
    Q = pd.concat(estimates, axis=1)
    U = pd.concat(variances, axis=1)
    m = Q.shape[1]
    qbar = Q.mean(axis=1)
    ubar = U.mean(axis=1)
    b = Q.var(axis=1, ddof=1)
    total = ubar + (1 + 1 / m) * b
    lam = ((1 + 1 / m) * b / total).clip(lower=1e-12)
    df_old = (m - 1) / lam**2
    df_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
    df = df_old * df_obs / (df_old + df_obs)
    se = np.sqrt(total)
    crit = stats.t.ppf(1 - (1 - level) / 2, df.to_numpy())
    return pd.DataFrame(
        {
            "term": qbar.index.astype(str),
            "estimate": qbar.to_numpy(),
            "std_error": se.to_numpy(),
            "ci_low": (qbar - crit * se).to_numpy(),
            "ci_high": (qbar + crit * se).to_numpy(),
            "p_value": 2 * stats.t.sf(np.abs(qbar / se).to_numpy(), df.to_numpy()),
            "df": df.to_numpy(),
            "lambda": lam.to_numpy(),
            "within_variance": ubar.to_numpy(),
            "between_variance": b.to_numpy(),
        }
    )
