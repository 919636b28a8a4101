"""Full-information ML for the CFA (as lavaan's `missing = "fiml"`): every response that answered
at least one item counts, with the normal-theory likelihood of the items it answered.

The likelihood depends on the data only through each missing-data pattern's count, mean and
covariance (divisor n_g) of its observed items, so a pattern is one term:
    -2 log L = sum_g n_g [p_g log 2pi + log|S_oo| + tr(S_oo^-1 (C_g + d_g d_g'))],  d_g = xbar_g - mu_o
with S_oo the model's covariance of the pattern's observed items. The CFA model has free
intercepts mu (meanstructure) and Sigma = Lambda Phi Lambda' + Psi, first loading of each factor 1.

Fit indices follow lavaan's conventions with missing data: chi2 = 2 (logL_H1 - logL_model) with
H1 the unrestricted mean and covariance by EM; the baseline is the independence model with free
means and variances, also FIML (it factorises per item); RMSEA with N = all cases used; SRMR
(Bentler) against the H1 moments, the mean residuals included (lavaan's srmr with a meanstructure).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import linalg, optimize

LOG_2PI = float(np.log(2 * np.pi))
POTRF, POTRS = linalg.get_lapack_funcs(("potrf", "potrs"), (np.zeros(1),))


@dataclass(frozen=True)
class Pattern:
    observed: np.ndarray  # indices of the answered items
    n: int
    mean: np.ndarray  # of the answered items
    cov: np.ndarray  # divisor n

    @cached_property
    def block(self) -> tuple[np.ndarray, np.ndarray]:
        return np.ix_(self.observed, self.observed)

    @cached_property
    def flat_block(self) -> tuple[np.ndarray, np.ndarray]:
        """The block's (rows, columns), a pair of indices per cell in row-major order."""
        return tuple(index.ravel() for index in np.broadcast_arrays(*self.block))

    @cached_property
    def identity(self) -> np.ndarray:
        return np.eye(len(self.observed))


def missing_patterns(x: np.ndarray) -> list[Pattern]:
    """One Pattern per distinct set of answered items (in the order of np.unique(axis=0)); rows that
    answered nothing are dropped. Each pattern's rows keep their order, so its moments are those of
    the rows selected by a mask."""
    seen = np.isfinite(x)
    keep = seen.any(axis=1)
    x, seen = x[keep], seen[keep]
    first, inverse, counts = _pattern_groups(seen)
    order = np.argsort(inverse, kind="stable")
    ends = np.cumsum(counts)
    patterns = []
    for g in range(len(first)):
        obs = np.flatnonzero(seen[first[g]])
        rows = x[order[ends[g] - counts[g] : ends[g]]][:, obs]
        mean = rows.mean(axis=0)
        centred = rows - mean
        patterns.append(Pattern(obs, len(rows), mean, centred.T @ centred / len(rows)))
    return patterns


def _pattern_groups(seen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first row, group of each row, rows) per distinct row of `seen`, groups in lexicographic order
    of the rows (np.unique(axis=0)'s): up to 64 items, a row is packed into one integer whose highest
    bit is the first item."""
    if seen.shape[1] > 64:
        _, first, inverse, counts = np.unique(seen, axis=0, return_index=True, return_inverse=True, return_counts=True)
        return first, inverse.ravel(), counts
    padded = np.zeros((len(seen), 64), dtype=bool)
    padded[:, : seen.shape[1]] = seen
    codes = np.packbits(padded, axis=1).view(">u8").ravel()
    _, first, inverse, counts = np.unique(codes, return_index=True, return_inverse=True, return_counts=True)
    return first, inverse, counts


def minus2_loglik(
    patterns: list[Pattern], mu: np.ndarray, sigma: np.ndarray, grad: bool = False, layout: Layout | None = None
):
    """-2 log L over the patterns; with grad, also d/dmu and d/dSigma (symmetric p x p). `layout` is
    `Layout(patterns)`, made once for the many evaluations of a fit.

    LAPACK's potrf/potrs are called as scipy's cho_factor(lower=True)/cho_solve call them, without
    their per-call checks: the same numbers, in a loop that runs once per pattern and evaluation.
    The rest is worked out for all patterns with as many items at once (`_Sized`) and summed in
    pattern order: the same numbers again."""
    layout = layout or Layout(patterns)
    finite = bool(np.isfinite(sigma).all())
    moments = [group.moments(mu, sigma) for group in layout.groups]
    blocks = [None] * len(patterns)
    for group, (stack, _, _) in zip(layout.groups, moments):
        for g, block in zip(group.members, stack):
            blocks[g] = block
    factors = []
    for pat, s in zip(patterns, blocks):
        if not finite and not np.isfinite(s).all():
            raise ValueError("array must not contain infs or NaNs")  # as cho_factor's check
        chol, info = POTRF(s, lower=True, overwrite_a=False, clean=False)
        if info > 0:
            return (np.inf, None, None) if grad else np.inf
        inv, info = POTRS(chol, pat.identity, lower=True, overwrite_b=False)
        if info != 0:
            raise ValueError(f"potrf/potrs: illegal argument {-info}")
        factors.append((chol.diagonal(), inv))
    terms = [None] * len(patterns)
    for group, (_, d, c) in zip(layout.groups, moments):
        for g, term in zip(group.members, group.terms(factors, d, c, grad)):
            terms[g] = term
    total = 0.0
    for pat, (logdet, trace, _, _) in zip(patterns, terms):
        total += pat.n * (len(pat.observed) * LOG_2PI + logdet + trace)
    if not grad:
        return total
    g_mu, g_sigma = np.zeros_like(mu), np.zeros_like(sigma)
    if patterns:
        *_, mu_parts, sigma_parts = zip(*terms)
        np.subtract.at(g_mu, layout.observed, np.concatenate(mu_parts))
        np.add.at(g_sigma, layout.cells, np.concatenate(sigma_parts))
    return total, g_mu, g_sigma


class Layout:
    """The patterns as every evaluation of the likelihood takes them: grouped by their number of
    answered items (`_Sized`), and the gradients' cells in pattern order."""

    def __init__(self, patterns: list[Pattern]):
        self.groups = [_Sized(patterns, members) for members in _by_size(patterns)]
        if patterns:
            self.observed = np.concatenate([pat.observed for pat in patterns])
            self.cells = tuple(np.concatenate(index) for index in zip(*(pat.flat_block for pat in patterns)))


def _by_size(patterns: list[Pattern]) -> list[list[int]]:
    """The patterns' positions grouped by their number of answered items."""
    groups = {}
    for g, pat in enumerate(patterns):
        groups.setdefault(len(pat.observed), []).append(g)
    return list(groups.values())


class _Sized:
    """The likelihood's terms of the patterns with as many answered items, from stacks of their
    arrays. Elementwise operations are the same numbers stacked or not; numpy's log, sum and matmul
    do for each matrix of a stack what they do for one, given the same memory layout: the products
    are written to C-ordered arrays and the inverses stacked in potrs's column-major order, as they
    were for each pattern alone."""

    def __init__(self, patterns: list[Pattern], members: list[int]):
        self.members = members
        self.o = np.stack([patterns[g].observed for g in members])
        self.n = np.array([patterns[g].n for g in members])[:, None, None]
        self.mean = np.stack([patterns[g].mean for g in members])
        self.cov = np.stack([patterns[g].cov for g in members])

    def moments(self, mu: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per pattern Sigma's block of its items, d = mean - mu of its items and C + d d'."""
        o = self.o
        d = self.mean - mu[o]
        return sigma[o[:, :, None], o[:, None, :]], d, self.cov + d[:, :, None] * d[:, None, :]

    def terms(self, factors: list[tuple], d: np.ndarray, c: np.ndarray, grad: bool) -> list[tuple]:
        """Per pattern (log|S_oo|, tr(S_oo^-1 C), 2 n S_oo^-1 d, n (S_oo^-1 - S_oo^-1 C S_oo^-1) cell by cell)."""
        size, n = len(self.members), self.n
        logdets = 2 * np.log(np.stack([factors[g][0] for g in self.members])).sum(axis=1)
        inv_t = np.stack([factors[g][1].T for g in self.members])
        inv = inv_t.transpose(0, 2, 1)
        traces = np.multiply(inv, c, out=np.empty(c.shape)).reshape(size, -1).sum(axis=1)
        if not grad:
            return [(logdet, trace, None, None) for logdet, trace in zip(logdets, traces)]
        mu_parts = ((2 * n * inv_t).transpose(0, 2, 1) @ d[:, :, None])[:, :, 0]
        sigma_parts = (n * (inv - inv @ c @ inv)).reshape(size, -1)
        return list(zip(logdets, traces, mu_parts, sigma_parts))


def em_saturated(patterns: list[Pattern], p: int, tol: float = 1e-12, max_iter: int = 5000):
    """(mu, Sigma) of the unrestricted model by EM; lavaan's H1 with missing data."""
    n = sum(pat.n for pat in patterns)
    mu = sum(np.bincount(pat.observed, pat.n * pat.mean, p) for pat in patterns) / sum(
        np.bincount(pat.observed, np.full(len(pat.observed), pat.n), p) for pat in patterns
    )
    sigma = np.eye(p)
    steps = [_EmStep(patterns, members, p) for members in _by_size(patterns)]
    for _ in range(max_iter):
        parts = [None] * len(patterns)
        for step in steps:
            for g, ez, second in zip(step.members, *step.expected(mu, sigma)):
                parts[g] = ez, second
        t1, t2 = np.zeros(p), np.zeros((p, p))
        for ez, second in parts:  # in pattern order, as the sums always were
            t1 += ez
            t2 += second
        new_mu = t1 / n
        new_sigma = t2 / n - np.outer(new_mu, new_mu)
        change = max(np.max(np.abs(new_mu - mu)), np.max(np.abs(new_sigma - sigma)))
        mu, sigma = new_mu, new_sigma
        if change < tol:
            break
    return mu, sigma


class _EmStep:
    """The E step of the patterns with the same number of answered items, as stacks of their arrays:
    the expected full vector is K x_o + k for a pattern's cases. numpy's matmul and inv work a stack
    one matrix at a time with the BLAS and LAPACK calls they make for one matrix, so every pattern
    gets the numbers it got alone. K's rows of the observed items and the zeros of `extra` outside the
    missing block stay from step to step."""

    def __init__(self, patterns: list[Pattern], members: list[int], p: int):
        self.members = members
        o = np.stack([patterns[g].observed for g in members])
        m = np.stack([np.setdiff1d(np.arange(p), patterns[g].observed) for g in members])
        self.n = np.array([patterns[g].n for g in members])[:, None]
        self.mean = np.stack([patterns[g].mean for g in members])[:, :, None]
        self.cov = np.stack([patterns[g].cov for g in members])
        rows = np.arange(len(members))[:, None]
        self.K = np.zeros((len(members), p, o.shape[1]))
        self.K[rows, o, np.arange(o.shape[1])] = 1.0
        self.k = np.zeros((len(members), p))
        self.extra = np.zeros((len(members), p, p))
        self.o, self.m, self.rows = o, m, rows

    def expected(self, mu: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per pattern (n E z, n E zz' summed over its cases / n) for the current mu and Sigma."""
        K, k, o, m, rows = self.K, self.k, self.o, self.m, self.rows
        if m.shape[1]:
            B = sigma[m[:, :, None], o[:, None, :]] @ np.linalg.inv(sigma[o[:, :, None], o[:, None, :]])
            K[rows, m] = B
            k[rows, m] = mu[m] - (B @ mu[o][:, :, None])[:, :, 0]
            self.extra[rows[:, :, None], m[:, :, None], m[:, None, :]] = (
                sigma[m[:, :, None], m[:, None, :]] - B @ sigma[o[:, :, None], m[:, None, :]]
            )
        ez = (K @ self.mean)[:, :, 0] + k
        second = K @ self.cov @ K.transpose(0, 2, 1) + ez[:, :, None] * ez[:, None, :] + self.extra
        return self.n * ez, self.n[:, :, None] * second


def independence_m2ll(patterns: list[Pattern], p: int) -> float:
    """-2 log L of the baseline (independent items, free means and variances): per item, its own
    answered values' mean and variance are the ML estimates."""
    n_i = np.zeros(p)
    s1, s2 = np.zeros(p), np.zeros(p)
    for pat in patterns:
        o = pat.observed
        n_i[o] += pat.n
        s1[o] += pat.n * pat.mean
        s2[o] += pat.n * (np.diag(pat.cov) + pat.mean**2)
    var = s2 / n_i - (s1 / n_i) ** 2
    return float(np.sum(n_i * (LOG_2PI + np.log(var) + 1.0)))


class CfaModel:
    """Sigma = Lambda Phi Lambda' + Psi and free intercepts, as one parameter vector:
    [free loadings, Phi lower triangle, Psi diagonal, mu]."""

    def __init__(self, factors: dict[str, list[str]], observed: list[str]):
        self.p, self.m = len(observed), len(factors)
        self.free = [(observed.index(i), f) for f, (name, items) in enumerate(factors.items()) for i in items[1:]]
        self.fixed = [(observed.index(items[0]), f) for f, items in enumerate(factors.values())]
        self.tril = np.tril_indices(self.m)
        self.n_params = len(self.free) + len(self.tril[0]) + self.p + self.p

    def unpack(self, x):
        k = len(self.free)
        lam = np.zeros((self.p, self.m))
        for (i, f), v in zip(self.free, x[:k]):
            lam[i, f] = v
        for i, f in self.fixed:
            lam[i, f] = 1.0
        phi = np.zeros((self.m, self.m))
        phi[self.tril] = x[k : k + len(self.tril[0])]
        phi = phi + np.tril(phi, -1).T
        k += len(self.tril[0])
        return lam, phi, x[k : k + self.p], x[k + self.p :]

    def moments(self, x):
        lam, phi, psi, mu = self.unpack(x)
        return mu, lam @ phi @ lam.T + np.diag(psi)

    def objective(self, patterns):
        layout = Layout(patterns)

        def fun(x):
            lam, phi, psi, mu = self.unpack(x)
            value, g_mu, g_sigma = minus2_loglik(patterns, mu, lam @ phi @ lam.T + np.diag(psi), True, layout)
            if not np.isfinite(value):
                return np.inf, np.zeros_like(x)
            g_lam = 2 * g_sigma @ lam @ phi
            g_phi = lam.T @ g_sigma @ lam
            g_phi = (2 * g_phi - np.diag(np.diag(g_phi)))[self.tril]
            grad = np.concatenate([[g_lam[i, f] for i, f in self.free], g_phi, np.diag(g_sigma), g_mu])
            return value, grad

        return fun

    def start(self, mu, sigma):
        """Loadings from the H1 covariance (ratio to the marker item), factor variances from
        the marker, residual variances half the item variance."""
        lam = np.zeros((self.p, self.m))
        for i, f in self.fixed:
            lam[i, f] = 1.0
        markers = dict((f, i) for i, f in self.fixed)
        for i, f in self.free:
            lam[i, f] = sigma[i, markers[f]] / max(sigma[markers[f], markers[f]] * 0.5, 1e-6)
        phi = np.array([[sigma[markers[a], markers[b]] for b in range(self.m)] for a in range(self.m)]) * 0.5
        x = np.concatenate([[lam[i, f] for i, f in self.free], phi[self.tril], np.diag(sigma) * 0.5, mu])
        return x


def fit_model(model: CfaModel, patterns: list[Pattern], x0: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """(estimates, -2 log L, converged) by BFGS on -2 log L / N with the analytic gradient.

    BFGS rather than L-BFGS-B: a trial step that makes Sigma indefinite returns inf, which
    L-BFGS-B's line search does not recover from. The code path is deterministic, so a rerun
    gives the same digits; convergence is judged by the gradient, not by BFGS's message (it
    reports "precision loss" once the criterion stops changing in the last digits).
    """
    fun = model.objective(patterns)
    n = sum(pat.n for pat in patterns)

    def scaled(x):
        value, grad = fun(x)
        return value / n, grad / n

    res = optimize.minimize(scaled, x0, jac=True, method="BFGS", options={"maxiter": 5000, "gtol": 1e-9})
    value, grad = scaled(res.x)
    return res.x, float(value * n), bool(np.max(np.abs(grad)) < 1e-6)


def srmr_with_means(s: np.ndarray, mean: np.ndarray, sigma: np.ndarray, mu: np.ndarray) -> float:
    """lavaan's srmr (Bentler) with a meanstructure: covariance residuals (lower triangle and
    diagonal) and mean residuals, each scaled by the observed SDs."""
    sd = np.sqrt(np.diag(s))
    resid = (s - sigma) / np.outer(sd, sd)
    parts = np.concatenate([resid[np.tril_indices_from(resid)], (mean - mu) / sd])
    return float(np.sqrt(np.mean(parts**2)))
