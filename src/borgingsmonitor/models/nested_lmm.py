"""Exact REML/ML fit of nested random-intercept models of any depth from per-cell sufficient statistics.

Model: y = X b + sum_l u_l + e for levels l = outer .. inner (e.g. region > partnership >
partnership-within-wave), each level's groups nested in the previous level's, u_l ~ N(0, s2_l) per
group and e ~ N(0, s2_e). Within a cell of the innermost level every random-effect design column
is a column of ones, so the likelihood depends on the data only through, per cell, n, X'X, X'y,
y'y, X'1 and 1'y. One pass over the rows (`cell_stats`) gives these; every likelihood evaluation
afterwards costs O(cells * p^2), whatever the number of respondents.

With H = V / s2_e = I + sum_l t_l Z_l Z_l' (t = variance ratios), H^-1 follows from a rank-one
(Sherman-Morrison) step per group, innermost level first: a group g of level l with children c has
    s_g = sum_c s_c',  u_g = sum_c u_c'  (s = 1'B^-1 1, u = 1'B^-1 Z over the group's rows,
                                          B the block of the levels inside it; a cell starts at
                                          s = n, u = 1'Z)
    a_g = 1 + t_l s_g,  s_g' = s_g / a_g,  u_g' = u_g / a_g
    Z'H^-1 Z = sum_cells Z'Z - sum_l sum_g (t_l / a_g) u_g u_g'
    log|H|   = sum_l sum_g log a_g
b and s2_e are profiled out; the free ratios are optimised on the log scale in the interior and,
separately, on each boundary face (some ratios exactly 0), and the best of these is kept, so a
variance component of zero is found exactly rather than approached. The gradient is exact
(forward-mode derivatives carried through the recursion). A level can be declared not random
(its ratio is fixed at 0): it then only defines the nesting (a region entered as fixed effects).

Fixed-effect tests (each coefficient, or any contrast c: `NestedLMMResult.contrast_df`) use
Satterthwaite degrees of freedom as lmerTest does: df = 2 (c'Cc)^2 /
(g' A g) with C = cov(b) as a function of the variance parameters, g its gradient and A = 2 H^-1
(H the Hessian of the deviance, profiled over b; REML or ML as fitted). At an interior optimum the
result does not depend on how the variance parameters are written; we use the log ratios and log
s2_e. A component estimated at exactly 0 is held fixed (it has no Hessian there). Or, for REML
fits, Kenward-Roger's adjusted covariance and df (`kenward_roger.py`, as pbkrtest).

Bootstrap over partnerships: drawing groups with replacement is the same as giving each group's
statistics a multiplicity weight (how often it was drawn within its parent). A group drawn twice
counts as two distinct clusters with identical data: the weights multiply each group's
contribution (its log-determinant term, its quadratic form, its share of the parent's sums), they
never pool the copies into one bigger group, so the reweighted fit is exactly the fit of the
expanded data set with the copies relabelled (a two-stage bootstrap weights two levels).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import linalg, optimize
from scipy import stats as st
from threadpoolctl import ThreadpoolController

from borgingsmonitor.models import kenward_roger
from borgingsmonitor.models.design import design_matrices, formula_columns, patsy_ready

log = logging.getLogger(__name__)

METHODS = ("REML", "ML")
DDF = ("satterthwaite", "kenward_roger")
_LOG_BOUNDS = (-30.0, 15.0)


@dataclass(frozen=True)
class NestedStats:
    """Sufficient statistics per innermost cell (rows sorted by the level keys, outer first).

    `labels[:, l]` is each cell's group label at level `levels[l]`; `zz` holds the cross-products of
    Z = [X, y] (so X'X, X'y and y'y), `sz` the column sums of Z (so X'1 and 1'y).
    `weights[:, l]` is the multiplicity of the cell's level-l group within its parent (the same on
    every row of that group). A fit needs only the sum of `zz` over the cells; `cell_stats(...,
    per_cell=False)` keeps only that (`zz` None, `zz_total` the sum): at a million rows with a cell
    per respondent the per-cell products are the fit's largest array. Such stats cannot be reweighted.
    """

    columns: tuple[str, ...]
    levels: tuple[str, ...]
    labels: np.ndarray
    n: np.ndarray
    zz: np.ndarray | None
    sz: np.ndarray
    weights: np.ndarray
    zz_total: np.ndarray | None = None

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
    def region(self) -> np.ndarray:
        """The outermost level's labels (the region in the two-level model)."""
        return self.labels[:, 0]

    @property
    def partnership(self) -> np.ndarray:
        """The innermost level's labels (the partnership in the two-level model)."""
        return self.labels[:, -1]

    @property
    def weight(self) -> np.ndarray:
        return self.weights[:, -1]

    @property
    def region_weight(self) -> np.ndarray:
        return self.weights[:, 0]

    @property
    def n_obs(self) -> float:
        return float(np.sum(self.n * np.prod(self.weights, axis=1)))

    def keys_index(self, depth: int | None = None) -> pd.MultiIndex:
        depth = len(self.levels) if depth is None else depth
        return pd.MultiIndex.from_arrays(list(self.labels[:, :depth].T), names=list(self.levels[:depth]))

    def keys(self) -> pd.MultiIndex:
        return self.keys_index()

    def select(self, columns) -> NestedStats:
        """The statistics of a design made of some of these columns (in the order given), same y."""
        index = [self.columns.index(c) for c in columns] + [self.k]
        zz = self.zz[:, index][:, :, index]
        return replace(self, columns=tuple(columns), zz=zz, sz=self.sz[:, index])

    def weighted(self, partnership=None, region=None, **by_level) -> NestedStats:
        """Multiply the multiplicities. `partnership` (innermost level) aligned with the rows or a
        Series indexed by its label (or by the full key); `region` (outermost) a Series/dict by
        label; `by_level` the same by level name."""
        wanted = dict(by_level)
        if partnership is not None:
            wanted[self.levels[-1]] = partnership
        if region is not None:
            wanted[self.levels[0]] = region
        weights = self.weights.copy()
        for name, values in wanted.items():
            lev = self.levels.index(name)
            full = self.keys_index(lev + 1) if lev > 0 else None
            weights[:, lev] = weights[:, lev] * _align(values, self.labels[:, lev], full, name)
        return replace(self, weights=weights)

    def __add__(self, other: NestedStats) -> NestedStats:
        """Pool the observations of two stats (e.g. two chunks of rows): same-key cells sum."""
        if tuple(other.columns) != tuple(self.columns) or tuple(other.levels) != tuple(self.levels):
            raise ValueError(f"columns or levels differ: {self.columns} vs {other.columns}")
        both = pd.concat([_frame(self), _frame(other)], ignore_index=True)
        names = list(self.levels)
        for lev in range(len(names)):
            w = both.groupby(names[: lev + 1], sort=False)[f"weight_{lev}"].nunique()
            if (w > 1).any():
                raise ValueError("cannot pool groups that carry different weights")
        keys = pd.MultiIndex.from_frame(both[names])
        codes, uniques = keys.factorize(sort=True)
        g = len(uniques)
        n = np.bincount(codes, weights=both["n"].to_numpy(), minlength=g)
        zz = np.zeros((g,) + self.zz.shape[1:])
        np.add.at(zz, codes, np.concatenate([self.zz, other.zz]))
        sz = np.zeros((g, self.sz.shape[1]))
        np.add.at(sz, codes, np.concatenate([self.sz, other.sz]))
        first = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
        weights = np.concatenate([self.weights, other.weights])[first]
        labels = np.column_stack([uniques.get_level_values(lev).to_numpy(dtype=object) for lev in range(len(names))])
        return NestedStats(self.columns, self.levels, labels, n, zz, sz, weights)


def _frame(stats: NestedStats) -> pd.DataFrame:
    out = {name: stats.labels[:, lev] for lev, name in enumerate(stats.levels)}
    out["n"] = stats.n
    out.update({f"weight_{lev}": stats.weights[:, lev] for lev in range(len(stats.levels))})
    return pd.DataFrame(out)


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


def cell_stats(y, X, groups: dict, per_cell: bool = True) -> NestedStats:
    """One vectorised pass over complete rows: the sufficient statistics per innermost cell.

    `groups` maps level names to label arrays, outer level first. A level's groups are nested in
    the outer levels: a partnership id seen in two regions is two clusters (as lme4's
    `(1 | region/partnership)`). `per_cell=False`: the cross-products only summed (`NestedStats`).
    """
    return cell_layout(groups, len(y)).stats(y, X, per_cell)


@dataclass(frozen=True)
class CellLayout:
    """Which rows make up each innermost cell: made once, then reused by draws that change only y."""

    levels: tuple[str, ...]
    labels: np.ndarray
    order: np.ndarray
    starts: np.ndarray
    counts: np.ndarray

    def stats(self, y, X, per_cell: bool = True) -> NestedStats:
        columns = _column_names(X)
        Zs = np.column_stack([np.asarray(X, dtype=float), np.asarray(y, dtype=float)])[self.order]
        if not np.isfinite(Zs).all():
            raise ValueError("y and X must be complete and finite; drop incomplete rows first")
        sz = np.add.reduceat(Zs, self.starts, axis=0)
        if per_cell:
            zz, total = _cell_products(Zs, self.starts, self.counts), None
        else:
            zz, total = None, _summed_cell_products(Zs, self.starts, self.counts)
        n = self.counts.astype(float)
        return NestedStats(columns, self.levels, self.labels, n, zz, sz, np.ones(self.labels.shape), total)


SMALL_CELL = 8  # cells up to this many rows are multiplied together, one batch per size
# elements of one batch's products (32 MB): a batch is a temporary beside the result, and larger
# batches are no faster
BATCH_ELEMENTS = 4_000_000


def _cell_products(rows, starts, counts) -> np.ndarray:
    """Each cell's cross-product block'block of `rows` (grouped by cell): small cells in batches of
    equal size (a Python step per cell costs more than its product), large ones one by one."""
    m = rows.shape[1]
    out = np.empty((len(counts), m, m))
    small = counts <= SMALL_CELL
    for size in np.unique(counts[small]):
        cells = np.flatnonzero(counts == size)
        for chunk in np.array_split(cells, max(1, len(cells) * m * m // BATCH_ELEMENTS)):
            block = rows[starts[chunk, None] + np.arange(size)]
            out[chunk] = np.matmul(block.transpose(0, 2, 1), block)
    for g in np.flatnonzero(~small):
        block = rows[starts[g] : starts[g] + counts[g]]
        out[g] = block.T @ block
    return out


def _summed_cell_products(rows, starts, counts) -> np.ndarray:
    """The sum over cells of `_cell_products`, a batch of cells at a time, bit for bit as
    `_Profile` sums them with unit weights: einsum adds the cells one by one in order, and the
    running total enters each batch's sum as its first cell (1.0 * total + 0 is exact)."""
    m = rows.shape[1]
    total = np.zeros((m, m))
    step = max(1, BATCH_ELEMENTS // (m * m))
    for first in range(0, len(counts), step):
        part = _cell_products(rows, starts[first : first + step], counts[first : first + step])
        total = np.einsum("g,gij->ij", np.ones(len(part) + 1), np.concatenate([total[None], part]))
    return total


def _column_names(X) -> tuple[str, ...]:
    if isinstance(X, pd.DataFrame):
        return tuple(str(c) for c in X.columns)
    return tuple(f"x{i}" for i in range(np.shape(X)[1]))


@dataclass(frozen=True)
class FixedDesign:
    """A design whose rows stay while y changes (a parametric bootstrap), grouped into its cells once.

    X'X and X'1 per cell are formed once; each new y costs one vectorised pass for X'y, y'y and 1'y
    instead of a cross-product of [X, y] per cell. The sums run in another order than the plain pass
    (`CellLayout.stats`), so they agree with it to rounding (~1e-15 relative), not bit for bit.
    """

    layout: CellLayout
    columns: tuple[str, ...]
    xs: np.ndarray  # X's rows in cell order
    xtx: np.ndarray
    xt1: np.ndarray

    @classmethod
    def of(cls, layout: CellLayout, X) -> FixedDesign:
        xs = np.asarray(X, dtype=float)[layout.order]
        if not np.isfinite(xs).all():
            raise ValueError("X must be complete and finite; drop incomplete rows first")
        xtx = _cell_products(xs, layout.starts, layout.counts)
        return cls(layout, _column_names(X), xs, xtx, np.add.reduceat(xs, layout.starts, axis=0))

    def stats(self, y) -> NestedStats:
        ys = np.asarray(y, dtype=float)[self.layout.order]
        if not np.isfinite(ys).all():
            raise ValueError("y must be complete and finite")
        starts, k = self.layout.starts, self.xs.shape[1]
        zz = np.empty((len(starts), k + 1, k + 1))
        zz[:, :k, :k] = self.xtx
        for g, (s, c) in enumerate(zip(starts, self.layout.counts)):  # one matrix-vector product a cell
            zz[g, :k, k] = ys[s : s + c] @ self.xs[s : s + c]
        zz[:, k, :k] = zz[:, :k, k]
        zz[:, k, k] = np.add.reduceat(ys * ys, starts)
        sz = np.column_stack([self.xt1, np.add.reduceat(ys, starts)])
        layout = self.layout
        return NestedStats(
            self.columns,
            layout.levels,
            layout.labels,
            layout.counts.astype(float),
            zz,
            sz,
            np.ones(layout.labels.shape),
        )


def cell_layout(groups: dict, n_rows: int) -> CellLayout:
    """The innermost cells of `groups` (see `cell_stats`) and the rows of each, in a stable order."""
    pair = np.zeros(n_rows, dtype=np.int64)
    uniques = []
    for name, values in groups.items():
        values = np.asarray(values)
        # numbers factorize as they are (boxing a million ints as objects costs seconds)
        codes, labels = pd.factorize(values if values.dtype.kind in "iub" else values.astype(object), sort=True)
        if (codes < 0).any():
            raise ValueError(f"{name} must not be missing")
        pair = pair * len(labels) + codes
        uniques.append((np.asarray(labels, dtype=object), len(labels)))
    uniq, inverse = np.unique(pair, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse, minlength=len(uniq))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    labels = np.empty((len(uniq), len(uniques)), dtype=object)
    rest = uniq.copy()
    for lev in range(len(uniques) - 1, -1, -1):
        names, size = uniques[lev]
        labels[:, lev] = names[rest % size]
        rest //= size
    return CellLayout(tuple(groups), labels, order, starts, counts)


def partnership_stats(y, X, region, partnership) -> NestedStats:
    """The two-level statistics (region > partnership)."""
    return cell_stats(y, X, {"region": region, "partnership": partnership})


def resample_weights(stats: NestedStats, rng: np.random.Generator, within_region: bool = False) -> np.ndarray:
    """Multiplicities of one bootstrap draw of innermost cells with replacement (aligned with rows).

    `within_region=True` draws each outermost group's cells from that group only (stratified).
    """
    g = len(stats.n)
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
    df: pd.Series | None = None
    vcov_derivatives: np.ndarray | None = None  # d cov(b) / d variance parameters (Satterthwaite)
    varpar_cov: np.ndarray | None = None  # asymptotic covariance of the variance parameters
    ddf: str | None = None  # how df (and, for kenward_roger, the adjusted bse) were computed
    kr: dict | None = None  # Kenward-Roger's Phi, P and W (kenward_roger.adjusted), for contrasts

    def contrast_df(self, L) -> np.ndarray:
        """df of each row of L (contrasts of the fixed effects, in params order) by the fit's method;
        infinite (the normal) when the fit skipped the df."""
        rows = np.atleast_2d(np.asarray(L, dtype=float))
        if self.kr is not None:
            return np.array(
                [kenward_roger.contrast_df(row, self.kr["phi"], self.kr["P"], self.kr["W"]) for row in rows]
            )
        if self.vcov_derivatives is None:
            return np.full(rows.shape[0], np.inf)
        return satterthwaite_df(rows, self.cov_params.to_numpy(float), self.vcov_derivatives, self.varpar_cov)

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """term, estimate, std_error, ci_low, ci_high, p_value, df: t on the fit's df (normal
        reference where df is missing)."""
        df = pd.Series(np.nan, index=self.params.index) if self.df is None else self.df.reindex(self.params.index)
        used = df.fillna(np.inf).to_numpy(float)  # t with infinite df is the normal
        crit = st.t.ppf(1 - alpha / 2, used)
        tval = (self.params / self.bse).to_numpy(float)
        p = 2 * st.t.sf(np.abs(tval), used)
        out = pd.DataFrame(
            {"term": self.params.index, "estimate": self.params.to_numpy(), "std_error": self.bse.to_numpy()}
        )
        out["ci_low"] = out["estimate"] - crit * out["std_error"]
        out["ci_high"] = out["estimate"] + crit * out["std_error"]
        out["p_value"] = p
        out["df"] = df.to_numpy(float)
        return out

    def icc(self) -> dict:
        """Per level, the correlation of two responses that share that level's group (the level's
        own variance plus every outer level's, over the total)."""
        total = sum(self.sigma2.values())
        out, acc = {}, 0.0
        for name in self.sigma2:
            if name == "residual":
                continue
            acc += self.sigma2[name]
            out[name] = acc / total
        return out


@dataclass(frozen=True)
class _Pool:
    """The innermost cells grouped into classes of equal parent, n and weights (one class: every
    respondent of a partnership who answered twice, say). Per class: the cells' count, sum U of u
    and sum M of u u'; `parent_starts` where each parent's classes begin."""

    n: np.ndarray
    path: np.ndarray
    own: np.ndarray
    count: np.ndarray
    U: np.ndarray
    M: np.ndarray
    parent_starts: np.ndarray


class _PooledTerm(NamedTuple):
    M: np.ndarray
    wdd: np.ndarray  # per level j, the derivative of each class's weight in Q in t_j


POOL_RATIO = 0.5  # pool only when the classes are at most this share of the cells
# below this many cells an evaluation costs microseconds: pooling would not repay its set-up (the
# network-dip bootstrap builds two profiles a draw)
POOL_MIN_CELLS = 5000


def _pool_cells(n, sz, path, own, firsts) -> _Pool | None:
    """Classes of innermost cells whose step is the same function of t (`_Profile._innermost_pooled`),
    or None when there are not enough cells per class to gain (or only one level)."""
    if len(firsts) < 2 or len(n) < POOL_MIN_CELLS:
        return None
    parent = np.searchsorted(firsts[-2], np.arange(len(n)), side="right") - 1
    keys = np.column_stack([parent, n, path, own])
    classes, inverse = np.unique(keys, axis=0, return_inverse=True)
    if len(classes) > POOL_RATIO * len(n):
        return None
    inverse = inverse.ravel()
    order = np.argsort(inverse, kind="stable")
    count = np.bincount(inverse, minlength=len(classes))
    starts = np.r_[0, np.cumsum(count)[:-1]]
    rows = sz[order]
    M = _cell_products(rows, starts, count)
    parent_starts = np.flatnonzero(np.r_[True, classes[1:, 0] != classes[:-1, 0]])
    U = np.add.reduceat(rows, starts, axis=0)
    return _Pool(classes[:, 1], classes[:, 2], classes[:, 3], count.astype(float), U, M, parent_starts)


def _weighted_products(stats: NestedStats, keep, weight) -> np.ndarray:
    """The cells' cross-products summed with their path weights (kept cells only)."""
    if stats.zz is None:
        if not (stats.weights == 1).all():
            raise ValueError("reweighted cells need their own cross-products: cell_stats(..., per_cell=True)")
        return stats.zz_total
    # no copy when every cell is kept (at a million rows the products are the fit's largest array)
    return np.einsum("g,gij->ij", weight, stats.zz if keep.all() else stats.zz[keep])


class _Profile:
    """-2 log-likelihood profiled over b and s2_e, as a function of the variance ratios t."""

    def __init__(self, stats: NestedStats, method: str):
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}")
        self.reml = method == "REML"
        self.k = stats.k
        self.L = len(stats.levels)
        keep = np.prod(stats.weights, axis=1) > 0
        labels = stats.labels[keep]
        W = stats.weights[keep]
        self.n = stats.n[keep]
        self.sz = stats.sz[keep]
        # first cell of each group, per level; a group starts where any outer-or-own label changes
        new = np.zeros(len(self.n), dtype=bool)
        firsts = []
        for lev in range(self.L):
            if len(self.n):
                new |= np.r_[True, labels[1:, lev] != labels[:-1, lev]]
            firsts.append(np.flatnonzero(new))
        self.firsts = firsts
        # path weight of each level-l group (its multiplicity times its ancestors'), own weight too
        path = np.cumprod(W, axis=1)
        self.path = [path[f, lev] for lev, f in enumerate(firsts)]
        self.own = [W[f, lev] for lev, f in enumerate(firsts)]
        # where each level-(l-1) group starts among the level-l groups
        self.parent_starts = [None] + [np.searchsorted(firsts[lev], firsts[lev - 1]) for lev in range(1, self.L)]
        self.szz = _weighted_products(stats, keep, path[:, -1])
        self.N = float(np.sum(path[:, -1] * self.n))
        self.n_groups = [float(np.sum(p)) for p in self.path]
        if np.linalg.matrix_rank(self.szz[: self.k, : self.k]) < self.k:
            raise ValueError(f"the fixed-effect design is rank deficient: {list(stats.columns)}")
        self.dof = self.N - self.k if self.reml else self.N
        if self.dof <= 0:
            raise ValueError("not enough observations for the number of fixed effects")
        self.pool = _pool_cells(self.n, self.sz, path[:, -1], W[:, -1], firsts)

    def _recurse(self, t, deriv=False):
        """Q = Z'H^-1 Z and log|H|; with `deriv`, d log|H| / dt_j and the per-level terms from
        which the derivatives of Q follow (`_dq`, `_gradient_parts`)."""
        L = self.L
        Q = self.szz.copy()
        dld = np.zeros(L)
        terms = []
        if self.pool is None:
            top, logdet = L - 1, 0.0
            u, s = self.sz, self.n
            du = np.zeros((L,) + u.shape) if deriv else None
            ds = np.zeros((L,) + s.shape) if deriv else None
        else:  # the innermost level from its pooled classes; u, s, du, ds arrive summed per parent
            top = L - 2
            logdet, u, s, du, ds = self._innermost_pooled(t, deriv, Q, dld, terms)
        for lev in range(top, -1, -1):
            if lev < top:  # sum the children (level l+1 groups) into their level-l parents
                own = self.own[lev + 1]
                starts = self.parent_starts[lev + 1]
                u = np.add.reduceat(u * own[:, None], starts, axis=0)
                s = np.add.reduceat(s * own, starts)
                if deriv:
                    du = np.add.reduceat(du * own[None, :, None], starts, axis=1)
                    ds = np.add.reduceat(ds * own[None, :], starts, axis=1)
            tl, pw = t[lev], self.path[lev]
            a = 1.0 + tl * s
            d = tl / a
            Q -= (u * (pw * d)[:, None]).T @ u
            logdet += np.sum(pw * np.log(a))
            if deriv:
                da = tl * ds
                da[lev] += s
                dd = (-tl * da) / a**2
                dd[lev] += 1.0 / a
                # dQ_j = -sum_g pw [dd_j u u' + d (du_j u' + u du_j')]
                terms.append((u, du, pw * d, pw * dd))
                dld += (da / a) @ pw
                du = du / a[None, :, None] - u[None] * (da / a**2)[:, :, None]
                ds = ds / a[None] - s[None] * da / a**2
            u = u / a[:, None]
            s = s / a
        return Q, logdet, dld, terms

    def _innermost_pooled(self, t, deriv, Q, dld, terms):
        """The innermost level's step on its classes (`_pool_cells`): the cells of a class share a, so
        their u u' enter Q only through the class sum M. Updates Q, dld and terms in place; returns
        log|H|'s share and the level-above sums u, s (with du, ds)."""
        L, pool = self.L, self.pool
        tl = t[L - 1]
        a = 1.0 + tl * pool.n
        wd = pool.path * tl / a
        Q -= np.tensordot(wd, pool.M, axes=1)
        logdet = float(np.sum(pool.path * pool.count * np.log(a)))
        own = pool.own / a
        u = np.add.reduceat(pool.U * own[:, None], pool.parent_starts, axis=0)
        s = np.add.reduceat(pool.count * pool.n * own, pool.parent_starts)
        if not deriv:
            return logdet, u, s, None, None
        # within a cell u, s do not depend on t: only a does, through t_inner
        wdd = np.zeros((L, len(a)))
        wdd[L - 1] = pool.path / a**2
        terms.append(_PooledTerm(pool.M, wdd))
        dld[L - 1] += np.sum(pool.path * pool.count * pool.n / a)
        du = np.zeros((L,) + u.shape)
        ds = np.zeros((L,) + s.shape)
        du[L - 1] = -np.add.reduceat(pool.U * (own * pool.n / a)[:, None], pool.parent_starts, axis=0)
        ds[L - 1] = -np.add.reduceat(pool.count * pool.n**2 * own / a, pool.parent_starts)
        return logdet, u, s, du, ds

    @staticmethod
    def _dq(terms, L):
        """The derivatives of Q = Z'H^-1 Z in each t_j (L x m x m)."""
        m = terms[-1][0].shape[1]
        dQ = np.zeros((L, m, m))
        for term in terms:
            if isinstance(term, _PooledTerm):
                dQ -= np.tensordot(term.wdd, term.M, axes=1)
                continue
            u, du, wd, wdd = term
            for j in range(L):
                A = u * (wdd[j] / 2)[:, None] + du[j] * wd[:, None]
                X = A.T @ u
                dQ[j] -= X + X.T
        return dQ

    def solve(self, *t, deriv=False):
        t = np.asarray(t[0] if len(t) == 1 else t, dtype=float)
        Q, logdet, dld, terms = self._recurse(t, deriv)
        k = self.k
        chol = linalg.cho_factor(Q[:k, :k])
        b = linalg.cho_solve(chol, Q[:k, k])
        rss = Q[k, k] - Q[k, :k] @ b
        dQ = self._dq(terms, self.L) if deriv else None
        return dict(Q=Q, logdet=logdet, dQ=dQ, dld=dld, chol=chol, b=b, rss=rss, terms=terms)

    def criterion(self, *t, grad=False):
        """-2 log-likelihood at ratios t (one array, or one number per level), with its gradient."""
        t = np.asarray(t[0] if len(t) == 1 else t, dtype=float)
        try:
            Q, logdet, dld, terms = self._recurse(t, grad)
            k = self.k
            chol = linalg.cho_factor(Q[:k, :k])
        except linalg.LinAlgError:
            return (np.inf, np.zeros(self.L)) if grad else np.inf
        b = linalg.cho_solve(chol, Q[:k, k])
        rss = Q[k, k] - Q[k, :k] @ b
        if not rss > 0:
            return (np.inf, np.zeros(self.L)) if grad else np.inf
        value = self.dof * (1.0 + np.log(2 * np.pi * rss / self.dof)) + logdet
        if self.reml:
            value += 2.0 * np.sum(np.log(np.diag(chol[0])))
        if not grad:
            return value
        drss, dlogx = self._gradient_parts(terms, b, chol)
        return value, self.dof / rss * drss + dld + (dlogx if self.reml else 0.0)

    def _gradient_parts(self, terms, b, chol):
        """d rss / dt_j = e'dQ_j e and d log|X'H^-1X| / dt_j = tr(Q_xx^-1 dQ_j,xx), in O(groups p)
        per level without forming dQ."""
        k = self.k
        e = np.r_[-b, 1.0]
        drss = np.zeros(self.L)
        dlogx = np.zeros(self.L)
        for term in terms:
            if isinstance(term, _PooledTerm):
                drss -= term.wdd @ np.einsum("i,gij,j->g", e, term.M, e)
                if self.reml:
                    qinv = linalg.cho_solve(chol, np.eye(k))
                    dlogx -= term.wdd @ np.einsum("ij,gij->g", qinv, term.M[:, :k, :k])
                continue
            u, du, wd, wdd = term
            ue = u @ e
            due = du @ e
            drss -= wdd @ ue**2 + 2 * (due * (wd * ue)[None]).sum(axis=1)
            if self.reml:
                ux = u[:, :k]
                qu = linalg.cho_solve(chol, ux.T).T
                uqu = np.einsum("ij,ij->i", ux, qu)
                duqu = np.einsum("jgi,gi->jg", du[:, :, :k], qu)
                dlogx -= wdd @ uqu + 2 * (duqu * wd[None]).sum(axis=1)
        return drss, dlogx

    def deviance_gradient(self, t, s2e):
        """Gradient of the deviance (profiled over b only) in (t_1..t_L, s2_e), with its parts."""
        p = self.solve(t, deriv=True)
        drss, dlogx = self._gradient_parts(p["terms"], p["b"], p["chol"])
        g_t = p["dld"] + drss / s2e + (dlogx if self.reml else 0.0)
        g_s = self.dof / s2e - p["rss"] / s2e**2
        return np.r_[g_t, g_s], p


def _minimise(prof: _Profile, free, start, polish: bool = True):
    """Minimise over log ratios of the free components; the others are exactly 0. Returns (t, value,
    converged, message, finish): `finish()` gives the Newton-polished (t, value) (already applied
    when `polish`)."""
    idx = [i for i in range(prof.L) if free[i]]

    def unpack(phi):
        t = np.zeros(prof.L)
        t[idx] = np.exp(phi)
        return t

    def fun(phi):
        t = unpack(phi)
        val, g = prof.criterion(t, grad=True)
        return val, (g * t)[idx]

    if not idx:
        t0, v0 = np.zeros(prof.L), prof.criterion(np.zeros(prof.L))
        return t0, v0, True, "all variance ratios 0 (OLS)", lambda: (t0, v0)
    res = optimize.minimize(
        fun,
        np.log(np.asarray(start, dtype=float)[idx]),
        jac=True,
        method="L-BFGS-B",
        bounds=[_LOG_BOUNDS] * len(idx),
        options=dict(ftol=1e-15, gtol=1e-9, maxiter=500),
    )

    def finish():
        phi = _newton_polish(fun, res.x)
        val, g = fun(phi)
        # the criterion is only resolved to ~1e-14 relative; judge the polish by its gradient
        if not (val <= res.fun + 1e-11 * abs(res.fun) and np.max(np.abs(g)) <= np.max(np.abs(res.jac))):
            phi, val = res.x, res.fun
        return unpack(phi), val

    t, val = finish() if polish else (unpack(res.x), res.fun)
    return t, val, bool(res.success), str(res.message), finish


POLISH_MARGIN = 1e-6  # relative: faces whose optimum is further from the best cannot win after polishing


def _newton_polish(fun, phi, steps=8, h=1e-5):
    phi = np.array(phi, dtype=float)
    for _ in range(steps):
        val, g = fun(phi)
        if np.any(phi <= _LOG_BOUNDS[0] + 1e-6) or np.max(np.abs(g)) < 1e-10:
            break
        hess = _jacobian(lambda x: fun(x)[1], phi, h)
        if np.any(np.linalg.eigvalsh(hess) <= 0):
            break
        new = phi - np.linalg.solve(hess, g)
        if not np.all(np.isfinite(new)) or fun(new)[0] > val + 1e-11 * abs(val):
            break
        phi = new
    return phi


def _jacobian(grad, x, h):
    """Symmetrised central-difference Jacobian of a gradient (a Hessian)."""
    out = np.empty((len(x), len(x)))
    for j in range(len(x)):
        step = np.zeros(len(x))
        step[j] = h
        out[:, j] = (grad(x + step) - grad(x - step)) / (2 * h)
    return (out + out.T) / 2


def _grid_start(prof: _Profile, free):
    grid = np.exp(np.linspace(-6, 2, 6 if sum(free) <= 2 else 4))
    best, best_t = np.inf, np.ones(prof.L)
    idx = [i for i in range(prof.L) if free[i]]
    for combo in np.array(np.meshgrid(*([grid] * len(idx)), indexing="ij")).reshape(len(idx), -1).T:
        t = np.zeros(prof.L)
        t[idx] = combo
        val = prof.criterion(t)
        if val < best:
            best, best_t = val, np.where(free, t, 1.0)
    return best_t


_CONTROLLER = None


def _single_threaded_blas():
    """Hundreds of tiny LAPACK calls: threaded BLAS only adds contention (25x slower on 2 busy cores)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


def fit_from_stats(
    stats: NestedStats, method: str = "REML", start: dict | None = None, random=None, ddf: str | None = "satterthwaite"
) -> NestedLMMResult:
    """Fit by REML or ML from the sufficient statistics; SEs from (X'V^-1 X)^-1 at the estimate.

    `random` (one bool per level, default all True) says which levels carry a random intercept; a
    level that does not is fixed at 0 and only nests the inner ones. `start` (e.g. the
    full-sample `result.ratios`, for bootstrap refits) replaces the coarse grid search for starting
    values; the boundary faces are checked either way. `ddf`: "satterthwaite" (df only),
    "kenward_roger" (REML only: Kenward-Roger's adjusted covariance and df, `kenward_roger.py`)
    or None (no df; bootstrap).
    """
    if ddf is not None and ddf not in DDF:
        raise ValueError(f"ddf must be one of {DDF} or None")
    if ddf == "kenward_roger" and method != "REML":
        raise ValueError("Kenward-Roger df need a REML fit (as lmerTest and pbkrtest)")
    with _single_threaded_blas():
        return _fit(stats, method, start, random, ddf)


def _faces(random):
    """Every subset of the random levels that may be nonzero, the full model first."""
    idx = [i for i, r in enumerate(random) if r]
    out = []
    for mask in range(2 ** len(idx) - 1, -1, -1):
        free = [False] * len(random)
        for bit, i in enumerate(idx):
            free[i] = bool(mask >> (len(idx) - 1 - bit) & 1)
        out.append(tuple(free))
    return out


def _fit(stats: NestedStats, method: str, start, random, ddf) -> NestedLMMResult:
    prof = _Profile(stats, method)
    random = tuple(random) if random is not None else (True,) * prof.L
    if len(random) != prof.L:
        raise ValueError(f"random must have one flag per level {stats.levels}")
    candidates, found = [], []
    full_t = None
    for free in _faces(random):
        if start is not None:
            t0 = np.array([max(start.get(name, 0.0), 1e-4) for name in stats.levels])
        elif full_t is None or sum(random) <= 2:
            t0 = _grid_start(prof, free) if any(free) else None
        else:
            # deeper models: the faces start from the full model's optimum (a grid per face
            # costs 4^k evaluations each); the full model itself had the grid
            t0 = np.maximum(full_t, 1e-4)
        # the full model is polished at once (the other faces start from it); a face is polished
        # only if its unpolished optimum comes near the best (polishing moves it by ~1e-12)
        t, val, ok, msg, finish = _minimise(prof, free, t0, polish=full_t is None)
        if full_t is None:
            full_t = t
        found.append((t, val, ok, msg, finish, free, full_t is t))
    lowest = min(f[1] for f in found)
    near = lowest + POLISH_MARGIN * max(1.0, abs(lowest))
    for t, val, ok, msg, finish, free, polished in found:
        if not polished and val <= near:
            t, val = finish()
        t = np.where(np.log(np.maximum(t, 1e-300)) <= _LOG_BOUNDS[0] + 1e-6, 0.0, t)
        val = prof.criterion(t)
        candidates.append((val, sum(free), t, ok, msg, free))
    # lowest criterion; on a tie (within rounding) the simpler model that satisfies the KKT
    # conditions, i.e. the exact boundary rather than a ratio of 1e-13
    best_val = min(c[0] for c in candidates)
    tol = 1e-11 * max(1.0, abs(best_val))
    ties = sorted((c for c in candidates if c[0] <= best_val + tol), key=lambda c: (c[1], c[0]))
    kkts = [_kkt_ok(prof.criterion(c[2], grad=True)[1], c[2], random) for c in ties]
    val, _, t, ok, msg, free = next((c for c, k in zip(ties, kkts) if k), ties[0])
    kkt = any(kkts)
    sol = prof.solve(t)
    s2e = sol["rss"] / prof.dof
    cov = s2e * linalg.cho_solve(sol["chol"], np.eye(prof.k))
    cols = list(stats.columns)
    names = list(stats.levels)
    df, dC, A, adj = None, None, None, None
    if ddf == "satterthwaite":
        dC, A = vcov_derivatives(prof, t, s2e, [bool(x > 0) for x in t])
        df = pd.Series(satterthwaite_df(np.eye(prof.k), cov, dC, A), index=cols, name="df")
    elif ddf == "kenward_roger":
        adj = kenward_roger.adjusted(prof, t, s2e, random)
        cov = adj["phi_a"]
        df = pd.Series(kenward_roger.coefficient_df(adj), index=cols, name="df")
    message = f"{msg}; free ratios {dict(zip(names, free))}; kkt={'ok' if kkt else 'failed'}"
    sigma2 = {name: float(t[lev] * s2e) for lev, name in enumerate(names) if random[lev]}
    sigma2["residual"] = float(s2e)
    return NestedLMMResult(
        params=pd.Series(sol["b"], index=cols, name="estimate"),
        bse=pd.Series(np.sqrt(np.diag(cov)), index=cols, name="std_error"),
        cov_params=pd.DataFrame(cov, index=cols, columns=cols),
        sigma2=sigma2,
        loglik=float(-0.5 * val),
        converged=bool(kkt),
        n_obs=int(round(prof.N)),
        n_groups={name: int(round(prof.n_groups[lev])) for lev, name in enumerate(names)},
        method=method,
        message=message,
        ratios={name: float(t[lev]) for lev, name in enumerate(names) if random[lev]},
        df=df,
        vcov_derivatives=dC,
        varpar_cov=A,
        ddf=ddf,
        kr=adj,
    )


def vcov_derivatives(prof: _Profile, t, s2e: float, free) -> tuple[np.ndarray, np.ndarray]:
    """(dC, A) for Satterthwaite's df (as lmerTest): dC[p] = d cov(b) / d psi_p for the nonzero
    variance parameters psi (log ratios, then log s2e), A = 2 H^-1 their asymptotic covariance."""
    idx = [j for j in range(prof.L) if free[j]]
    t = np.asarray(t, dtype=float)

    def grad_psi(psi):
        tt = t.copy()
        tt[idx] = np.exp(psi[:-1])
        s = np.exp(psi[-1])
        g, _ = prof.deviance_gradient(tt, s)
        return np.r_[g[idx] * tt[idx], g[-1] * s]

    psi = np.r_[np.log(t[idx]), np.log(s2e)]
    hess = _jacobian(grad_psi, psi, 1e-4)
    A = 2.0 * np.linalg.pinv(hess)
    sol = prof.solve(t, deriv=True)
    k = prof.k
    inv = linalg.cho_solve(sol["chol"], np.eye(k))
    # C = s2e (X'H^-1X)^-1: its derivative in a log ratio, then in log s2e (C itself)
    dC = [-s2e * t[j] * inv @ sol["dQ"][j][:k, :k] @ inv for j in idx]
    dC.append(s2e * inv)
    return np.array(dC), A


def satterthwaite_df(L, cov: np.ndarray, dC: np.ndarray, A: np.ndarray) -> np.ndarray:
    """Satterthwaite df of each contrast (row of L) of the fixed effects: 2 (l'Cl)^2 / (g'Ag),
    g the gradient of l'Cl in the variance parameters (`vcov_derivatives`)."""
    L = np.atleast_2d(np.asarray(L, dtype=float))
    var = np.einsum("ri,ij,rj->r", L, cov, L)
    grad = np.einsum("ri,pij,rj->rp", L, dC, L)
    return 2.0 * var**2 / np.einsum("rp,pq,rq->r", grad, A, grad)


def _kkt_ok(grad, t, random=None, tol=1e-3):
    """Stationary in free ratios (gradient w.r.t. log ratio) and not descending into a zero one."""
    random = random if random is not None else (True,) * len(t)
    for g, ti, r in zip(grad, t, random):
        if not r:
            continue
        if ti > 0 and abs(g * ti) > tol:
            return False
        if ti == 0 and g < -tol:
            return False
    return True


def fit_nested_lmm(
    formula: str,
    data: pd.DataFrame,
    region: str = "region",
    partnership: str = "partnership_id",
    method: str = "REML",
    levels: dict | None = None,
    random=None,
    ddf: str | None = "satterthwaite",
) -> NestedLMMResult:
    """Build X with patsy (e.g. `DUR ~ REL + FAC + PRO + ORG + C(wave)`), drop incomplete rows
    listwise over the columns used, and fit. `levels` maps level names to columns, outer first
    (default {"region": region, "partnership": partnership}); a level's groups are the
    combinations of its column with the outer ones. `result.n_dropped` counts the dropped rows."""
    levels = dict(levels) if levels is not None else {"region": region, "partnership": partnership}
    group_cols = list(dict.fromkeys(levels.values()))
    used = formula_columns(formula, data) + group_cols
    sub = data[list(dict.fromkeys(used))]
    complete = sub.notna().all(axis=1).to_numpy()
    n_dropped = int((~complete).sum())
    if n_dropped:
        log.info("fit_nested_lmm: dropped %d of %d rows with missing values in %s", n_dropped, len(data), used)
    sub = sub.loc[complete]
    in_formula = formula_columns(formula, data)
    sub = sub.assign(**patsy_ready(formula, sub, exclude=tuple(c for c in group_cols if c not in in_formula)))
    y, X = design_matrices(formula, sub)
    groups = {name: sub[col].to_numpy() for name, col in levels.items()}
    stats = cell_stats(y.iloc[:, 0].to_numpy(), X, groups, per_cell=False)
    result = fit_from_stats(stats, method=method, random=random, ddf=ddf)
    result.n_dropped = n_dropped
    result.formula = formula
    return result
