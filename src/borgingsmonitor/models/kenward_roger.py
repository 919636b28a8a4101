"""Kenward-Roger (1997) small-sample inference for the nested REML fits of `nested_lmm`, as pbkrtest
computes it (`vcovAdj`, `Lb_ddf`; lmerTest's `ddf = "Kenward-Roger"` uses both).

The covariance is V = sum_i g_i G_i over the components i: each random level's Z_l Z_l' and the
residual's identity. With Phi = (X'V^-1 X)^-1, P_i = -X'V^-1 G_i V^-1 X, Q_ij = X'V^-1 G_i V^-1
G_j V^-1 X, the expected REML information I_ij = tr(V^-1 G_i V^-1 G_j) - 2 tr(Phi Q_ij) +
tr(Phi P_i Phi P_j) and W = 2 I^-1, the adjusted covariance is
    Phi_A = Phi + 2 Phi [sum_ij W_ij (Q_ij - P_i Phi P_j)] Phi
(the second-derivative term vanishes: V is linear in the variances) and the df of a contrast
follow from P, W and Phi (`contrast_df`, pbkrtest's `Lb_ddf`). Every component the model
declares random is included, also one estimated at 0, as pbkrtest does.

No N x N matrix is formed. Within an innermost cell every G_l column is constant, so with C the
cell indicator, n the cell sizes and H = V / s2_e,
    H^-1 = I - C W C',   W = sum_l sum_(g in level l) (t_l / a_g) w_g w_g',
where a_g is the estimator's rank-one denominator and w_g (on the cells of g) the product of
1 / a over the cell's groups inside g (`_Nested`). W times a cells-by-k matrix costs one group sum
and one spread per level, so every P and Q is O(cells k L). tr(V^-1 G_i V^-1 G_j) is minus the
Hessian of log|V| in the variances, from exact second derivatives of log|H| = sum log a_g
carried through the same recursion.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg


class _Nested:
    """The cell layout of a fit and, at ratios t, the a's and w's of H^-1 = I - C W C'."""

    def __init__(self, prof, t):
        if not all(np.all(p == 1) for p in prof.path):
            raise ValueError("Kenward-Roger needs unweighted statistics (no bootstrap multiplicities)")
        self.t = np.asarray(t, dtype=float)
        self.n = prof.n
        self.L = prof.L
        cells = len(self.n)
        self.firsts = prof.firsts
        self.group = [np.repeat(np.arange(len(f)), np.diff(np.r_[f, cells])) for f in prof.firsts]
        self.a, self.w = [None] * self.L, [None] * self.L
        w = np.ones(cells)
        for lev in range(self.L - 1, -1, -1):
            self.w[lev] = w
            self.a[lev] = 1.0 + self.t[lev] * self.sums(self.n * w, lev)
            w = w / self.a[lev][self.group[lev]]

    def sums(self, x, lev):
        """Sums over each level-`lev` group of cell values x."""
        return np.add.reduceat(x, self.firsts[lev], axis=0)

    def spread(self, g, lev):
        """Group values g on the group's cells."""
        return g[self.group[lev]]

    def times_w(self, x):
        """W x for a cells-by-k matrix x."""
        out = np.zeros_like(x)
        for lev in range(self.L):
            if self.t[lev] == 0:
                continue
            w = self.w[lev][:, None]
            out += w * self.spread((self.t[lev] / self.a[lev])[:, None] * self.sums(w * x, lev), lev)
        return out


def logdet_hessian(prof, t) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Hessian of log|H| in the ratios t (exact second-order forward mode)."""
    L = prof.L
    s = prof.n.astype(float)
    ds = np.zeros((L,) + s.shape)
    d2s = np.zeros((L, L) + s.shape)
    grad, hess = np.zeros(L), np.zeros((L, L))
    for lev in range(L - 1, -1, -1):
        if lev < L - 1:
            starts = prof.parent_starts[lev + 1]
            s, ds, d2s = (np.add.reduceat(v, starts, axis=-1) for v in (s, ds, d2s))
        tl = t[lev]
        a = 1.0 + tl * s
        da = tl * ds
        da[lev] += s
        d2a = tl * d2s
        d2a[lev] += ds
        d2a[:, lev] += ds
        grad += np.sum(da / a, axis=-1)
        hess += np.sum(d2a / a - da[:, None] * da[None] / a**2, axis=-1)
        d2s = (
            d2s / a
            - (ds[:, None] * da[None] + da[:, None] * ds[None]) / a**2
            - s * d2a / a**2
            + 2 * s * da[:, None] * da[None] / a**3
        )
        ds = ds / a - s * da / a**2
        s = s / a
    return grad, hess


def k_traces(prof, t, s2e, idx) -> np.ndarray:
    """tr(V^-1 G_i V^-1 G_j) over the components (levels `idx`, then the residual): minus the
    Hessian of log|V| = N log s2e + log|H(g_l / s2e)| in the variances."""
    g, h = logdet_hessian(prof, t)
    t_r, g_r, h_r = t[idx], g[idx], h[np.ix_(idx, idx)]
    m = len(idx)
    K = np.empty((m + 1, m + 1))
    K[:m, :m] = -h_r
    K[:m, m] = K[m, :m] = g_r + h_r @ t_r
    K[m, m] = prof.N - 2 * g_r @ t_r - t_r @ h_r @ t_r
    return K / s2e**2


def pq_matrices(prof, nest: _Nested, s2e, idx):
    """Phi, the P_i and the Q_ij (components: levels `idx`, then the residual)."""
    k = prof.k
    n = prof.n[:, None]
    cx = prof.sz[:, :k]
    xtx = prof.szz[:k, :k]
    wcx = nest.times_w(cx)
    phi = linalg.inv((xtx - cx.T @ wcx) / s2e)
    B = (cx - n * wcx) / s2e  # C'V^-1 X
    yty = (xtx - 2 * cx.T @ wcx + wcx.T @ (n * wcx)) / s2e**2  # X'V^-2 X
    wb = nest.times_w(B)
    by = (B - n * wb) / s2e  # C'V^-2 X
    # G_l V^-1 X = C T_l (T_l: each cell carries its level-l group's sum of B)
    T = [nest.spread(nest.sums(B, lev), lev) for lev in idx]
    P = [-B.T @ Tl for Tl in T] + [-yty]
    m = len(idx)
    Q = np.empty((m + 1, m + 1, k, k))
    for i, Ti in enumerate(T):
        for j, Tj in enumerate(T):
            Q[i, j] = Ti.T @ (n * Tj - n * nest.times_w(n * Tj)) / s2e
        Q[i, m] = Ti.T @ by
        Q[m, i] = Q[i, m].T
    Q[m, m] = (yty - B.T @ wb) / s2e
    return phi, P, Q


def adjusted(prof, t, s2e, random) -> dict:
    """Kenward-Roger's Phi_A with the P and W its df need (pbkrtest's vcovAdj)."""
    t = np.asarray(t, dtype=float)
    idx = [lev for lev in range(prof.L) if random[lev]]
    nest = _Nested(prof, t)
    phi, P, Q = pq_matrices(prof, nest, s2e, idx)
    K = k_traces(prof, t, s2e, idx)
    m = len(P)
    info = np.empty((m, m))
    for i in range(m):
        for j in range(m):
            info[i, j] = K[i, j] - 2 * np.sum(phi * Q[i, j]) + np.trace(phi @ P[i] @ phi @ P[j])
    info = (info + info.T) / 2
    small = np.min(np.abs(np.linalg.eigvalsh(info))) <= 1e-10
    W = 2 * (np.linalg.pinv(info) if small else np.linalg.inv(info))
    U = sum(W[i, j] * (Q[i, j] - P[i] @ phi @ P[j]) for i in range(m) for j in range(m))
    phi_a = phi + 2 * phi @ U @ phi
    return {"phi": phi, "phi_a": (phi_a + phi_a.T) / 2, "P": P, "W": W}


def contrast_df(L, phi, P, W) -> float:
    """Kenward-Roger denominator df of the contrast rows L (pbkrtest's `Lb_ddf`)."""
    L = np.atleast_2d(np.asarray(L, dtype=float))
    q = L.shape[0]
    theta = L.T @ np.linalg.solve(L @ phi @ L.T, L)
    u = [theta @ phi @ Pi @ phi for Pi in P]
    A1 = sum(W[i, j] * np.trace(u[i]) * np.trace(u[j]) for i in range(len(P)) for j in range(len(P)))
    A2 = sum(W[i, j] * np.sum(u[i] * u[j].T) for i in range(len(P)) for j in range(len(P)))
    B = (A1 + 6 * A2) / (2 * q)
    g = ((q + 1) * A1 - (q + 4) * A2) / ((q + 2) * A2)
    denom = 3 * q + 2 * (1 - g)
    c1, c2, c3 = g / denom, (q - g) / denom, (q + 2 - g) / denom
    v0 = 1 + c1 * B
    v0 = 0.0 if abs(v0) < 1e-10 else v0
    v1, v2 = 1 - c2 * B, 1 - c3 * B
    ratio = 1.0 if abs(1 - A2 / q) < 1e-14 and abs(v1) < 1e-14 else (1 - A2 / q) / v1
    rho = ratio**2 * v0 / (q * v2)
    return 4 + (q + 2) / (q * rho - 1)


def coefficient_df(adj: dict) -> np.ndarray:
    """Kenward-Roger df of each coefficient (the contrast e_j)."""
    k = adj["phi"].shape[0]
    return np.array([contrast_df(np.eye(k)[j], adj["phi"], adj["P"], adj["W"]) for j in range(k)])
