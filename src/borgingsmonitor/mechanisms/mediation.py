"""Mediation (RQ4): FAC -> REL -> DUR with a partnership-clustered percentile bootstrap.

Paths are OLS fits on one complete-case sample:
  a:              REL ~ FAC + covariates + C(wave)
  b and direct:   DUR ~ REL + FAC + covariates + C(wave)
  indirect = a*b, total = direct + indirect (for OLS on one sample this is exactly the FAC
  coefficient of DUR ~ FAC + covariates + C(wave)).

The bootstrap resamples partnerships with replacement. An OLS fit only needs X'X and X'y, and
a resample's X'X is the draw-count-weighted sum of the partnerships' own cross-products, so
every resample is one row of (counts @ per-partnership cross-products) followed by a small
batched solve: no pass over the responses per resample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from borgingsmonitor.core.tables import write_table

EFFECTS = ("a", "b", "direct", "indirect", "total")
MEDIATION_COLUMNS = ["effect", "estimate", "ci_low", "ci_high", "p_value", "n_boot"]


def analysis_frame(
    data: pd.DataFrame,
    x: str = "FAC",
    m: str = "REL",
    y: str = "DUR",
    covariates=("PRO", "ORG"),
    wave: str = "wave",
    cluster: str = "partnership_id",
) -> pd.DataFrame:
    """Complete cases on every variable of the three paths, in a fixed row order."""
    cols = [cluster, wave, x, m, y, *covariates]
    frame = data[cols].dropna().copy()
    for col in [x, m, y, *covariates]:
        frame[col] = frame[col].astype(float)
    frame[wave] = frame[wave].astype(int)
    frame[cluster] = frame[cluster].astype(str)
    return frame.sort_values([cluster, wave], kind="stable").reset_index(drop=True)


def design(frame: pd.DataFrame, x="FAC", m="REL", y="DUR", covariates=("PRO", "ORG"), wave="wave"):
    """Columns [const, x, covariates, wave dummies (earliest wave = reference), m, y]."""
    waves = sorted(frame[wave].unique())
    cols = [np.ones(len(frame)), frame[x].to_numpy(float)]
    cols += [frame[c].to_numpy(float) for c in covariates]
    cols += [(frame[wave].to_numpy() == w).astype(float) for w in waves[1:]]
    cols += [frame[m].to_numpy(float), frame[y].to_numpy(float)]
    names = ["const", x, *covariates, *[f"wave_{w}" for w in waves[1:]], m, y]
    return np.column_stack(cols), names


def cluster_codes(frame: pd.DataFrame, cluster: str = "partnership_id"):
    """Integer code per row and the sorted cluster labels."""
    labels = np.array(sorted(frame[cluster].unique()))
    return np.searchsorted(labels, frame[cluster].to_numpy()), labels


def cluster_crossproducts(Z: np.ndarray, codes: np.ndarray, n_clusters: int) -> np.ndarray:
    """Z_p'Z_p for every cluster p, shape (n_clusters, q, q); one bincount per matrix cell."""
    q = Z.shape[1]
    S = np.empty((n_clusters, q, q))
    for i in range(q):
        for j in range(i, q):
            cell = np.bincount(codes, weights=Z[:, i] * Z[:, j], minlength=n_clusters)
            S[:, i, j] = cell
            S[:, j, i] = cell
    return S


def draw_clusters(n_clusters: int, n_boot: int, seed: int) -> np.ndarray:
    """Resampled cluster indices, shape (n_boot, n_clusters); the one source of bootstrap draws."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, n_clusters, size=(n_boot, n_clusters))


def draw_counts(draws: np.ndarray, n_clusters: int) -> np.ndarray:
    """How often each cluster was drawn in each resample, shape (n_boot, n_clusters)."""
    n_boot = draws.shape[0]
    flat = (draws + n_clusters * np.arange(n_boot)[:, None]).ravel()
    return np.bincount(flat, minlength=n_boot * n_clusters).reshape(n_boot, n_clusters)


def _solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched least squares from normal equations; pseudo-inverse where a block is singular.

    A block is singular when a resample lacks a whole wave (its dummy column is all zero);
    the minimum-norm solution then matches statsmodels' pinv-based OLS.
    """
    out = np.empty(b.shape)
    singular = np.linalg.matrix_rank(A) < A.shape[-1]
    ok = ~singular
    if ok.any():
        out[ok] = np.linalg.solve(A[ok], b[ok][..., None])[..., 0]
    if singular.any():
        out[singular] = (np.linalg.pinv(A[singular]) @ b[singular][..., None])[..., 0]
    return out


def effects_from_crossproducts(S: np.ndarray) -> np.ndarray:
    """(a, b, direct, indirect, total) from stacked cross-product matrices (..., q, q).

    Column layout as in `design`: predictors 0..k-1 (x at 1), mediator k, outcome k+1.
    """
    S = np.asarray(S, dtype=float)
    batch = S.shape[:-2]
    S = S.reshape(-1, *S.shape[-2:])
    q = S.shape[-1]
    k = q - 2
    base = np.arange(k)
    with_m = np.arange(k + 1)
    beta_a = _solve(S[:, :k, :k], S[:, base, k])
    beta_b = _solve(S[:, : k + 1, : k + 1], S[:, with_m, k + 1])
    a = beta_a[:, 1]
    b = beta_b[:, k]
    direct = beta_b[:, 1]
    indirect = a * b
    total = direct + indirect
    return np.column_stack([a, b, direct, indirect, total]).reshape(*batch, len(EFFECTS))


def total_effect_regression(S: np.ndarray) -> np.ndarray:
    """FAC coefficient of y ~ x + covariates + waves, from the same cross-products (check only)."""
    S = np.asarray(S, dtype=float).reshape(-1, *np.shape(S)[-2:])
    k = S.shape[-1] - 2
    return _solve(S[:, :k, :k], S[:, np.arange(k), k + 1])[:, 1]


def fast_bootstrap(S_clusters: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Effects for every resample at once: one matrix product, then batched solves."""
    P, q, _ = S_clusters.shape
    S_boot = (counts.astype(float) @ S_clusters.reshape(P, q * q)).reshape(-1, q, q)
    return effects_from_crossproducts(S_boot)


def naive_bootstrap(
    frame: pd.DataFrame,
    draws: np.ndarray,
    x="FAC",
    m="REL",
    y="DUR",
    covariates=("PRO", "ORG"),
    wave="wave",
    cluster="partnership_id",
) -> np.ndarray:
    """The baseline: rebuild each resample's rows and refit statsmodels OLS formulas.

    Kept as the oracle for the fast path (same draws give the same effects) and as the
    benchmark's reference.
    """
    import statsmodels.formula.api as smf

    codes, labels = cluster_codes(frame, cluster)
    rows_of = [np.flatnonzero(codes == p) for p in range(len(labels))]
    rhs = " + ".join([x, *covariates, f"C({wave})"])
    out = np.empty((draws.shape[0], len(EFFECTS)))
    for i, drawn in enumerate(draws):
        sample = frame.iloc[np.concatenate([rows_of[p] for p in drawn])]
        fit_a = smf.ols(f"{m} ~ {rhs}", data=sample).fit()
        fit_b = smf.ols(f"{y} ~ {m} + {rhs}", data=sample).fit()
        a, b, direct = fit_a.params[x], fit_b.params[m], fit_b.params[x]
        out[i] = [a, b, direct, a * b, direct + a * b]
    return out


def ols_point_estimates(
    frame: pd.DataFrame, x="FAC", m="REL", y="DUR", covariates=("PRO", "ORG"), wave="wave"
) -> dict[str, float]:
    """The effects from plain statsmodels OLS fits on the full sample (and the total regression)."""
    import statsmodels.formula.api as smf

    rhs = " + ".join([x, *covariates, f"C({wave})"])
    fit_a = smf.ols(f"{m} ~ {rhs}", data=frame).fit()
    fit_b = smf.ols(f"{y} ~ {m} + {rhs}", data=frame).fit()
    fit_c = smf.ols(f"{y} ~ {rhs}", data=frame).fit()
    a, b, direct = fit_a.params[x], fit_b.params[m], fit_b.params[x]
    return {
        "a": a,
        "b": b,
        "direct": direct,
        "indirect": a * b,
        "total": direct + a * b,
        "total_regression": fit_c.params[x],
    }


def percentile_ci(boot: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    alpha = 1 - level
    low, high = np.quantile(boot, [alpha / 2, 1 - alpha / 2], axis=0, method="linear")
    return low, high


def bootstrap_p(estimate, boot: np.ndarray) -> np.ndarray:
    """Two-sided: twice the share of resamples on the other side of zero, floored at 1/n_boot."""
    estimate = np.asarray(estimate, dtype=float)
    n_boot = boot.shape[0]
    other_side = np.where(estimate >= 0, boot <= 0, boot >= 0).mean(axis=0)
    return np.clip(2 * other_side, 1 / n_boot, 1.0)


def mediation_table(
    data: pd.DataFrame,
    n_boot: int = 2000,
    seed: int = 20250101,
    level: float = 0.95,
    x="FAC",
    m="REL",
    y="DUR",
    covariates=("PRO", "ORG"),
    wave="wave",
    cluster="partnership_id",
) -> pd.DataFrame:
    """results/tables/mediation.csv: the contract's columns, then bootstrap SE, n_obs, n_partnerships."""
    frame = analysis_frame(data, x, m, y, covariates, wave, cluster)
    Z, _ = design(frame, x, m, y, covariates, wave)
    codes, labels = cluster_codes(frame, cluster)
    S = cluster_crossproducts(Z, codes, len(labels))
    estimate = effects_from_crossproducts(S.sum(axis=0))
    draws = draw_clusters(len(labels), n_boot, seed)
    boot = fast_bootstrap(S, draw_counts(draws, len(labels)))
    low, high = percentile_ci(boot, level)
    return pd.DataFrame(
        {
            "effect": list(EFFECTS),
            "estimate": estimate,
            "ci_low": low,
            "ci_high": high,
            "p_value": bootstrap_p(estimate, boot),
            "n_boot": n_boot,
            "boot_std_error": boot.std(axis=0, ddof=1),
            "n_obs": len(frame),
            "n_partnerships": len(labels),
            "seed": seed,
        }
    )


def write_mediation(table: pd.DataFrame, path) -> None:
    write_table(table, path)
