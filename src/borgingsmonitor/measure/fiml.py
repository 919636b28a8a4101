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

import numpy as np
from scipy import linalg, optimize

LOG_2PI = float(np.log(2 * np.pi))


@dataclass(frozen=True)
class Pattern:
    observed: np.ndarray  # indices of the answered items
    n: int
    mean: np.ndarray  # of the answered items
    cov: np.ndarray  # divisor n


def missing_patterns(x: np.ndarray) -> list[Pattern]:
    """One Pattern per distinct set of answered items; rows that answered nothing are dropped."""
    seen = np.isfinite(x)
    keep = seen.any(axis=1)
    x, seen = x[keep], seen[keep]
    keys, inverse = np.unique(seen, axis=0, return_inverse=True)
    patterns = []
    for g, key in enumerate(keys):
        obs = np.flatnonzero(key)
        rows = x[inverse.ravel() == g][:, obs]
        mean = rows.mean(axis=0)
        centred = rows - mean
        patterns.append(Pattern(obs, len(rows), mean, centred.T @ centred / len(rows)))
    return patterns


def minus2_loglik(patterns: list[Pattern], mu: np.ndarray, sigma: np.ndarray, grad: bool = False):
    """-2 log L over the patterns; with grad, also d/dmu and d/dSigma (symmetric p x p)."""
    total, g_mu, g_sigma = 0.0, np.zeros_like(mu), np.zeros_like(sigma)
    for pat in patterns:
        o = pat.observed
        s = sigma[np.ix_(o, o)]
        try:
            chol = linalg.cho_factor(s, lower=True)
        except linalg.LinAlgError:
            return (np.inf, None, None) if grad else np.inf
        d = pat.mean - mu[o]
        c = pat.cov + np.outer(d, d)
        inv = linalg.cho_solve(chol, np.eye(len(o)))
        logdet = 2 * np.sum(np.log(np.diag(chol[0])))
        total += pat.n * (len(o) * LOG_2PI + logdet + np.sum(inv * c))
        if grad:
            g_mu[o] -= 2 * pat.n * inv @ d
            g_sigma[np.ix_(o, o)] += pat.n * (inv - inv @ c @ inv)
    return (total, g_mu, g_sigma) if grad else total


def em_saturated(patterns: list[Pattern], p: int, tol: float = 1e-12, max_iter: int = 5000):
    """(mu, Sigma) of the unrestricted model by EM; lavaan's H1 with missing data."""
    n = sum(pat.n for pat in patterns)
    mu = sum(np.bincount(pat.observed, pat.n * pat.mean, p) for pat in patterns) / sum(
        np.bincount(pat.observed, np.full(len(pat.observed), pat.n), p) for pat in patterns
    )
    sigma = np.eye(p)
    for _ in range(max_iter):
        t1, t2 = np.zeros(p), np.zeros((p, p))
        for pat in patterns:
            o = pat.observed
            m = np.setdiff1d(np.arange(p), o)
            # expected full vector = K x_o + k for the pattern's cases
            K, k = np.zeros((p, len(o))), np.zeros(p)
            K[o, np.arange(len(o))] = 1.0
            extra = np.zeros((p, p))
            if len(m):
                B = sigma[np.ix_(m, o)] @ np.linalg.inv(sigma[np.ix_(o, o)])
                K[m] = B
                k[m] = mu[m] - B @ mu[o]
                extra[np.ix_(m, m)] = sigma[np.ix_(m, m)] - B @ sigma[np.ix_(o, m)]
            ez = K @ pat.mean + k
            t1 += pat.n * ez
            t2 += pat.n * (K @ pat.cov @ K.T + np.outer(ez, ez) + extra)
        new_mu = t1 / n
        new_sigma = t2 / n - np.outer(new_mu, new_mu)
        change = max(np.max(np.abs(new_mu - mu)), np.max(np.abs(new_sigma - sigma)))
        mu, sigma = new_mu, new_sigma
        if change < tol:
            break
    return mu, sigma


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
        def fun(x):
            lam, phi, psi, mu = self.unpack(x)
            value, g_mu, g_sigma = minus2_loglik(patterns, mu, lam @ phi @ lam.T + np.diag(psi), grad=True)
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
