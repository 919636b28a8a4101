"""Exact REML/ML fit of the nested random-intercept model from per-partnership sufficient statistics.

Model: y = X b + u_region + u_partnership(region) + e, with u_r ~ N(0, s2_r), u_p ~ N(0, s2_p) and
e ~ N(0, s2_e). Within a partnership the random-effect design is a column of ones, so the
likelihood depends on the data only through, per partnership, n, X'X, X'y, y'y, X'1 and 1'y.
One pass over the rows (`partnership_stats`) gives these; every likelihood evaluation afterwards
costs O(partnerships * p^2), whatever the number of respondents.

With H = V / s2_e = I + t_p sum_p 1_p 1_p' + t_r sum_r 1_r 1_r' (t = variance ratios), a region
block of H is blockdiag(I + t_p 1 1') plus a rank-one term, so its inverse and determinant follow
from Sherman-Morrison twice (Woodbury / matrix-determinant lemma):
    w_p = 1 / (1 + n_p t_p),  s_r = sum_{p in r} n_p w_p,  d_r = t_r / (1 + t_r s_r)
    a'H^-1 b = sum_p [a_p'b_p - t_p w_p (1'a_p)(1'b_p)] - sum_r d_r (sum_p w_p 1'a_p)(sum_p w_p 1'b_p)
    log|H|   = sum_p log(1 + n_p t_p) + sum_r log(1 + t_r s_r)
b and s2_e are profiled out; the two ratios are optimised on the log scale in the interior and,
separately, on each boundary face (a ratio exactly 0), and the best of these is kept, so a
variance component of zero is found exactly rather than approached.

Bootstrap over partnerships: drawing partnerships with replacement is the same as giving each
partnership's statistics a multiplicity weight (how often it was drawn). A partnership drawn twice
counts as two distinct clusters with identical data: the weights multiply each cluster's
contribution (its log-determinant term, its within-cluster quadratic form, its share of the region
sums), they never pool the copies into one bigger partnership, so the reweighted fit is exactly
the fit of the expanded data set with the copies relabelled. Region weights do the same for
regions drawn with replacement (a two-stage bootstrap).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import patsy
from scipy import linalg, optimize
from threadpoolctl import ThreadpoolController

log = logging.getLogger(__name__)

METHODS = ("REML", "ML")
_LOG_BOUNDS = (-30.0, 15.0)


@dataclass(frozen=True)
class NestedStats:
    """Sufficient statistics per partnership (rows sorted by region, then partnership).

    `zz` holds the cross-products of Z = [X, y] (so X'X, X'y and y'y), `sz` the column sums of Z
    (so X'1 and 1'y). `weight` is each partnership's multiplicity within its region,
    `region_weight` the multiplicity of its region (the same on every row of a region).
    """

    columns: tuple[str, ...]
    region: np.ndarray
    partnership: np.ndarray
    n: np.ndarray
    zz: np.ndarray
    sz: np.ndarray
    weight: np.ndarray
    region_weight: np.ndarray

    @property
    def k(self) -> int:
        return len(self.columns)

    @property
    def xtx(self) -> np.ndarray:
        return self.zz[:, : self.k, : self.k]

    @property
    def xty(self) -> np.ndarray:
        return self.zz[:, : self.k, self.k]

    @property
    def yty(self) -> np.ndarray:
        return self.zz[:, self.k, self.k]

    @property
    def xt1(self) -> np.ndarray:
        return self.sz[:, : self.k]

    @property
    def yt1(self) -> np.ndarray:
        return self.sz[:, self.k]

    @property
    def n_obs(self) -> float:
        return float(np.sum(self.n * self.weight * self.region_weight))

    def keys(self) -> pd.MultiIndex:
        return pd.MultiIndex.from_arrays([self.region, self.partnership], names=["region", "partnership"])

    def weighted(self, partnership=None, region=None) -> "NestedStats":
        """Multiply the multiplicities: `partnership` aligned with the rows or a Series indexed by
        partnership id (or by (region, partnership)); `region` a Series/dict indexed by region."""
        weight = self.weight * _align(partnership, self.partnership, self.keys(), "partnership")
        region_weight = self.region_weight * _align(region, self.region, None, "region")
        return replace(self, weight=weight, region_weight=region_weight)

    def __add__(self, other: "NestedStats") -> "NestedStats":
        """Pool the observations of two stats (e.g. two chunks of rows): same-key partnerships sum."""
        if tuple(other.columns) != tuple(self.columns):
            raise ValueError(f"columns differ: {self.columns} vs {other.columns}")
        both = pd.concat([_frame(self), _frame(other)], ignore_index=True)
        check = both.groupby(["region", "partnership"], sort=False)[["weight", "region_weight"]].nunique()
        if (check > 1).any(axis=None):
            raise ValueError("cannot pool partnerships that carry different weights")
        if (both.groupby("region")["region_weight"].nunique() > 1).any():
            raise ValueError("cannot pool regions that carry different weights")
        keys = pd.MultiIndex.from_frame(both[["region", "partnership"]])
        codes, uniques = keys.factorize(sort=True)
        g = len(uniques)
        n = np.bincount(codes, weights=both["n"].to_numpy(), minlength=g)
        zz = np.zeros((g,) + self.zz.shape[1:])
        np.add.at(zz, codes, np.concatenate([self.zz, other.zz]))
        sz = np.zeros((g, self.sz.shape[1]))
        np.add.at(sz, codes, np.concatenate([self.sz, other.sz]))
        first = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
        return NestedStats(
            columns=self.columns,
            region=uniques.get_level_values(0).to_numpy(dtype=object),
            partnership=uniques.get_level_values(1).to_numpy(dtype=object),
            n=n,
            zz=zz,
            sz=sz,
            weight=both["weight"].to_numpy()[first],
            region_weight=both["region_weight"].to_numpy()[first],
        )


def _frame(stats: NestedStats) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": stats.region,
            "partnership": stats.partnership,
            "n": stats.n,
            "weight": stats.weight,
            "region_weight": stats.region_weight,
        }
    )


def _align(values, labels, keys, what) -> np.ndarray:
    if values is None:
        return np.ones(len(labels))
    if isinstance(values, dict):
        values = pd.Series(values)
    if isinstance(values, pd.Series):
        index = keys if keys is not None and isinstance(values.index, pd.MultiIndex) else labels
        out = values.reindex(index)
        if out.isna().any():
            raise ValueError(f"{what} weights missing for {list(pd.Index(index)[out.isna().to_numpy()])[:5]}")
        values = out.to_numpy(dtype=float)
    values = np.asarray(values, dtype=float)
    if values.shape != (len(labels),) or (values < 0).any() or not np.isfinite(values).all():
        raise ValueError(f"{what} weights must be finite, non-negative, one per row")
    return values


def partnership_stats(y, X, region, partnership) -> NestedStats:
    """One vectorised pass over complete rows: the sufficient statistics per (region, partnership).

    A partnership id seen in two regions is two clusters (as lme4's `(1 | region/partnership)`).
    """
    if isinstance(X, pd.DataFrame):
        columns = tuple(str(c) for c in X.columns)
    else:
        columns = tuple(f"x{i}" for i in range(np.shape(X)[1]))
    Z = np.column_stack([np.asarray(X, dtype=float), np.asarray(y, dtype=float)])
    if not np.isfinite(Z).all():
        raise ValueError("y and X must be complete and finite; drop incomplete rows first")
    r_codes, r_labels = pd.factorize(np.asarray(region, dtype=object), sort=True)
    p_codes, p_labels = pd.factorize(np.asarray(partnership, dtype=object), sort=True)
    if (r_codes < 0).any() or (p_codes < 0).any():
        raise ValueError("region and partnership must not be missing")
    pair = r_codes.astype(np.int64) * len(p_labels) + p_codes
    uniq, inverse = np.unique(pair, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse, minlength=len(uniq))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    Zs = Z[order]
    zz = np.empty((len(uniq), Z.shape[1], Z.shape[1]))
    for g, (s, c) in enumerate(zip(starts, counts)):
        block = Zs[s : s + c]
        zz[g] = block.T @ block
    sz = np.add.reduceat(Zs, starts, axis=0)
    return NestedStats(
        columns=columns,
        region=np.asarray(r_labels, dtype=object)[uniq // len(p_labels)],
        partnership=np.asarray(p_labels, dtype=object)[uniq % len(p_labels)],
        n=counts.astype(float),
        zz=zz,
        sz=sz,
        weight=np.ones(len(uniq)),
        region_weight=np.ones(len(uniq)),
    )


def resample_weights(stats: NestedStats, rng: np.random.Generator, within_region: bool = False) -> np.ndarray:
    """Multiplicities of one bootstrap draw of partnerships with replacement (aligned with rows).

    `within_region=True` draws each region's partnerships from that region only (stratified).
    """
    g = len(stats.partnership)
    if not within_region:
        return rng.multinomial(g, np.full(g, 1.0 / g)).astype(float)
    out = np.zeros(g)
    codes, _ = pd.factorize(stats.region)
    for r in range(codes.max() + 1):
        idx = np.flatnonzero(codes == r)
        out[idx] = rng.multinomial(len(idx), np.full(len(idx), 1.0 / len(idx)))
    return out


@dataclass
class NestedLMMResult:
    params: pd.Series
    bse: pd.Series
    cov_params: pd.DataFrame
    sigma2: dict
    loglik: float
    converged: bool
    n_obs: int
    n_groups: dict
    method: str
    message: str
    ratios: dict = field(default_factory=dict)
    n_dropped: int = 0
    formula: str | None = None

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """term, estimate, std_error, ci_low, ci_high, p_value (Wald, normal reference)."""
        from scipy import stats as st

        z = st.norm.ppf(1 - alpha / 2)
        out = pd.DataFrame(
            {"term": self.params.index, "estimate": self.params.to_numpy(), "std_error": self.bse.to_numpy()}
        )
        out["ci_low"] = out["estimate"] - z * out["std_error"]
        out["ci_high"] = out["estimate"] + z * out["std_error"]
        out["p_value"] = 2 * st.norm.sf(np.abs(out["estimate"] / out["std_error"]))
        return out

    def icc(self) -> dict:
        """Share of the total variance at region and at partnership level (same-partnership ICC
        is region + partnership)."""
        total = sum(self.sigma2.values())
        return {
            "region": self.sigma2["region"] / total,
            "partnership": (self.sigma2["region"] + self.sigma2["partnership"]) / total,
        }


class _Profile:
    """-2 log-likelihood profiled over b and s2_e, as a function of the ratios (t_r, t_p)."""

    def __init__(self, stats: NestedStats, method: str):
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}")
        self.reml = method == "REML"
        self.k = stats.k
        keep = stats.weight * stats.region_weight > 0
        self.n = stats.n[keep]
        self.sz = stats.sz[keep]
        self.pw = (stats.weight * stats.region_weight)[keep]
        self.kw = stats.weight[keep]
        region = stats.region[keep]
        change = np.flatnonzero(np.r_[True, region[1:] != region[:-1]])
        self.starts = change
        self.gr = stats.region_weight[keep][change]
        self.szz = np.einsum("g,gij->ij", self.pw, stats.zz[keep])
        self.N = float(np.sum(self.pw * self.n))
        if np.linalg.matrix_rank(self.szz[: self.k, : self.k]) < self.k:
            raise ValueError(f"the fixed-effect design is rank deficient: {list(stats.columns)}")
        self.dof = self.N - self.k if self.reml else self.N
        if self.dof <= 0:
            raise ValueError("not enough observations for the number of fixed effects")

    def _parts(self, tr, tp):
        w = 1.0 / (1.0 + self.n * tp)
        Q = self.szz - (self.sz * (self.pw * tp * w)[:, None]).T @ self.sz
        uz = np.add.reduceat(self.sz * (self.kw * w)[:, None], self.starts, axis=0)
        s = np.add.reduceat(self.kw * self.n * w, self.starts)
        d = tr / (1.0 + tr * s)
        Q = Q - (uz * (self.gr * d)[:, None]).T @ uz
        return w, uz, s, d, Q

    def solve(self, tr, tp):
        w, uz, s, d, Q = self._parts(tr, tp)
        k = self.k
        M = Q[:k, :k]
        chol = linalg.cho_factor(M)
        b = linalg.cho_solve(chol, Q[:k, k])
        rss = Q[k, k] - Q[k, :k] @ b
        return dict(w=w, uz=uz, s=s, d=d, Q=Q, chol=chol, b=b, rss=rss)

    def criterion(self, tr, tp, grad=False):
        p = self.solve(tr, tp)
        w, uz, s, d, chol, b, rss = (p[x] for x in ("w", "uz", "s", "d", "chol", "b", "rss"))
        if not rss > 0:
            return (np.inf, np.zeros(2)) if grad else np.inf
        logdet_h = np.sum(self.pw * np.log1p(self.n * tp)) + np.sum(self.gr * np.log1p(tr * s))
        value = self.dof * (1.0 + np.log(2 * np.pi * rss / self.dof)) + logdet_h
        if self.reml:
            value += 2.0 * np.sum(np.log(np.diag(chol[0])))
        if not grad:
            return value
        return value, self._gradient(tr, tp, w, uz, s, d, chol, b, rss)

    def _gradient(self, tr, tp, w, uz, s, d, chol, b, rss):
        k = self.k
        e = np.r_[-b, 1.0]
        # f_p = 1_p' H^-1 Z, per partnership; 1_r' H^-1 Z = uz_r / (1 + t_r s_r)
        d_rows = np.repeat(d, np.diff(np.r_[self.starts, len(self.n)]))
        uz_rows = np.repeat(uz, np.diff(np.r_[self.starts, len(self.n)]), axis=0)
        f = w[:, None] * (self.sz - (d_rows * self.n)[:, None] * uz_rows)
        g_reg = uz / (1.0 + tr * s)[:, None]
        drss_p = -np.sum(self.pw * (f @ e) ** 2)
        drss_r = -np.sum(self.gr * (g_reg @ e) ** 2)
        sq = self.kw * self.n**2 * w**2
        dlogdet_p = np.sum(self.pw * self.n * w) - np.sum(self.gr * d * np.add.reduceat(sq, self.starts))
        dlogdet_r = np.sum(self.gr * s / (1.0 + tr * s))
        grad_r = self.dof / rss * drss_r + dlogdet_r
        grad_p = self.dof / rss * drss_p + dlogdet_p
        if self.reml:
            fx = linalg.cho_solve(chol, f[:, :k].T).T
            gx = linalg.cho_solve(chol, g_reg[:, :k].T).T
            grad_p -= np.sum(self.pw * np.einsum("ij,ij->i", f[:, :k], fx))
            grad_r -= np.sum(self.gr * np.einsum("ij,ij->i", g_reg[:, :k], gx))
        return np.array([grad_r, grad_p])


def _minimise(prof: _Profile, free: tuple[bool, bool], start):
    """Minimise over log ratios of the free components; fixed components are exactly 0."""
    idx = [i for i in range(2) if free[i]]

    def unpack(phi):
        t = np.zeros(2)
        t[idx] = np.exp(phi)
        return t

    def fun(phi):
        t = unpack(phi)
        val, g = prof.criterion(*t, grad=True)
        return val, (g * t)[idx]

    if not idx:
        return np.zeros(2), prof.criterion(0.0, 0.0), True, "both variance ratios 0 (OLS)"
    res = optimize.minimize(
        fun,
        np.log(np.asarray(start, dtype=float)[idx]),
        jac=True,
        method="L-BFGS-B",
        bounds=[_LOG_BOUNDS] * len(idx),
        options=dict(ftol=1e-15, gtol=1e-9, maxiter=500),
    )
    phi = _newton_polish(fun, res.x)
    val, g = fun(phi)
    # the criterion is only resolved to ~1e-14 relative; judge the polish by its gradient
    if not (val <= res.fun + 1e-11 * abs(res.fun) and np.max(np.abs(g)) <= np.max(np.abs(res.jac))):
        phi, val = res.x, res.fun
    return unpack(phi), val, bool(res.success), str(res.message)


def _newton_polish(fun, phi, steps=8, h=1e-5):
    phi = np.array(phi, dtype=float)
    for _ in range(steps):
        val, g = fun(phi)
        if np.any(phi <= _LOG_BOUNDS[0] + 1e-6) or np.max(np.abs(g)) < 1e-10:
            break
        hess = np.empty((len(phi), len(phi)))
        for j in range(len(phi)):
            step = np.zeros(len(phi))
            step[j] = h
            hess[:, j] = (fun(phi + step)[1] - fun(phi - step)[1]) / (2 * h)
        hess = (hess + hess.T) / 2
        if np.any(np.linalg.eigvalsh(hess) <= 0):
            break
        new = phi - np.linalg.solve(hess, g)
        if not np.all(np.isfinite(new)) or fun(new)[0] > val + 1e-11 * abs(val):
            break
        phi = new
    return phi


def _grid_start(prof: _Profile, free):
    grid = np.exp(np.linspace(-6, 2, 6))
    best, best_t = np.inf, (0.1, 0.1)
    for tr in grid if free[0] else [0.0]:
        for tp in grid if free[1] else [0.0]:
            val = prof.criterion(tr, tp)
            if val < best:
                best, best_t = val, (tr if free[0] else 1.0, tp if free[1] else 1.0)
    return best_t


_CONTROLLER = None


def _single_threaded_blas():
    """Hundreds of tiny LAPACK calls: threaded BLAS only adds contention (25x slower on 2 busy cores)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


def fit_from_stats(stats: NestedStats, method: str = "REML", start: dict | None = None) -> NestedLMMResult:
    """Fit by REML or ML from the sufficient statistics; SEs from (X'V^-1 X)^-1 at the estimate.

    `start` (e.g. the full-sample `result.ratios`, for bootstrap refits) replaces the coarse grid
    search for starting values; the boundary faces are checked either way.
    """
    with _single_threaded_blas():
        return _fit(stats, method, start)


def _fit(stats: NestedStats, method: str, start: dict | None) -> NestedLMMResult:
    prof = _Profile(stats, method)
    candidates = []
    for free in [(True, True), (False, True), (True, False), (False, False)]:
        if start is None:
            t0 = _grid_start(prof, free) if any(free) else None
        else:
            t0 = tuple(max(start[c], 1e-4) for c in ("region", "partnership"))
        t, val, ok, msg = _minimise(prof, free, t0)
        t = np.where(np.log(np.maximum(t, 1e-300)) <= _LOG_BOUNDS[0] + 1e-6, 0.0, t)
        val = prof.criterion(*t)
        candidates.append((val, sum(free), t, ok, msg, free))
    # lowest criterion; on a tie (within rounding) the simpler model that satisfies the KKT
    # conditions, i.e. the exact boundary rather than a ratio of 1e-13
    best_val = min(c[0] for c in candidates)
    tol = 1e-11 * max(1.0, abs(best_val))
    ties = sorted((c for c in candidates if c[0] <= best_val + tol), key=lambda c: (c[1], c[0]))
    kkts = [_kkt_ok(prof.criterion(*c[2], grad=True)[1], c[2]) for c in ties]
    val, _, t, ok, msg, free = next((c for c, k in zip(ties, kkts) if k), ties[0])
    kkt = any(kkts)
    tr, tp = t
    sol = prof.solve(tr, tp)
    s2e = sol["rss"] / prof.dof
    cov = s2e * linalg.cho_solve(sol["chol"], np.eye(prof.k))
    cols = list(stats.columns)
    params = pd.Series(sol["b"], index=cols, name="estimate")
    n_part = float(np.sum(prof.pw))
    n_reg = float(np.sum(prof.gr))
    message = f"{msg}; free ratios (region, partnership) = {free}; kkt={'ok' if kkt else 'failed'}"
    return NestedLMMResult(
        params=params,
        bse=pd.Series(np.sqrt(np.diag(cov)), index=cols, name="std_error"),
        cov_params=pd.DataFrame(cov, index=cols, columns=cols),
        sigma2={"region": float(tr * s2e), "partnership": float(tp * s2e), "residual": float(s2e)},
        loglik=float(-0.5 * val),
        converged=bool(kkt),
        n_obs=int(round(prof.N)),
        n_groups={"region": int(round(n_reg)), "partnership": int(round(n_part))},
        method=method,
        message=message,
        ratios={"region": float(tr), "partnership": float(tp)},
    )


def _kkt_ok(grad, t, tol=1e-3):
    """Stationary in free ratios (gradient w.r.t. log ratio) and not descending into a zero one."""
    for g, ti in zip(grad, t):
        if ti > 0 and abs(g * ti) > tol:
            return False
        if ti == 0 and g < -tol:
            return False
    return True


def formula_columns(formula: str, data: pd.DataFrame) -> list[str]:
    """The data columns a formula names (for listwise deletion)."""
    tokens = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", formula))
    return [c for c in data.columns if c in tokens]


def fit_nested_lmm(
    formula: str,
    data: pd.DataFrame,
    region: str = "region",
    partnership: str = "partnership_id",
    method: str = "REML",
) -> NestedLMMResult:
    """Build X with patsy (e.g. `DUR ~ REL + FAC + PRO + ORG + C(wave)`), drop incomplete rows
    listwise over the columns used, and fit. `result.n_dropped` counts the dropped rows."""
    used = formula_columns(formula, data) + [region, partnership]
    sub = data[list(dict.fromkeys(used))]
    complete = sub.notna().all(axis=1).to_numpy()
    n_dropped = int((~complete).sum())
    if n_dropped:
        log.info(
            "fit_nested_lmm: dropped %d of %d rows with missing values in %s", n_dropped, len(data), used
        )
    sub = sub.loc[complete]
    sub = sub.assign(**_patsy_ready(formula, sub, exclude=(region, partnership)))
    y, X = design_matrices(formula, sub)
    stats = partnership_stats(y.iloc[:, 0].to_numpy(), X, sub[region].to_numpy(), sub[partnership].to_numpy())
    result = fit_from_stats(stats, method=method)
    result.n_dropped = n_dropped
    result.formula = formula
    return result


def design_matrices(formula: str, sub: pd.DataFrame):
    """patsy's (y, X) for complete rows, fast for `C(col)` of Categorical columns, with patsy's own names."""
    fast, renamed = _unwrap_factors(formula, sub)
    y, X = patsy.dmatrices(fast, sub, NA_action="raise", return_type="dataframe")
    X.columns = [_rename_term(c, renamed) for c in X.columns]
    return y, X


def _unwrap_factors(formula: str, sub: pd.DataFrame):
    """`C(col)` -> `col` for Categorical columns: patsy then reads the codes directly (it loops over
    every value in Python for a boxed factor); the names are restored by `_rename_term`."""
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


def _rename_term(name: str, renamed) -> str:
    parts = name.split(":")
    for i, part in enumerate(parts):
        for col in renamed:
            if part.startswith(col + "["):
                parts[i] = f"C({col})" + part[len(col) :]
    return ":".join(parts)


def _patsy_ready(formula: str, sub: pd.DataFrame, exclude=()) -> dict:
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
