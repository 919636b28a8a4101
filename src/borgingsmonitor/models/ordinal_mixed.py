"""Cumulative-logit model with one random intercept per group: R's ordinal::clmm(y ~ x + (1 | g)).

    logit P(Y <= j | b_g) = theta_j - x'beta - b_g,   b_g = sd * u_g,   u_g ~ N(0, 1)

(clmm's sign convention). The marginal likelihood factorises over groups. Each group's integral over
u is taken at its mode u_hat with curvature D = -h''(u_hat) of h(u) = sum_i log p_i(u) - u^2/2, as
clmm does: Laplace (n_agq = 1, clmm's default) or adaptive Gauss-Hermite quadrature with nodes
u_hat + sqrt(2/D) x_k (n_agq > 1). Both are one formula, Laplace being the one-node rule.

The gradient is analytic: it follows u_hat and D as they move with the parameters (implicit
differentiation), so the third derivative of the row log-likelihood enters. For the logit link the
eta-derivatives of log p are short: F(a) + F(b) - 1, -(f(a) + f(b)) and f'(a) + f'(b), with a and b
the upper and lower cut minus eta. Standard errors come from the Hessian of the marginal
log-likelihood at the optimum (central differences of the analytic gradient), in (thresholds, beta,
log sd) as clmm's vcov; the thresholds' and slopes' SEs do not depend on how sd is parameterised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from borgingsmonitor.core.contracts import NOT_CONVERGED
from borgingsmonitor.models import ordinal
from borgingsmonitor.models.table import extra_terms, wald_terms

BOUNDARY_SD = 1e-3  # below it the SD is reported as at its boundary and left out of the Hessian (as clmm)


@dataclass
class Layout:
    codes: np.ndarray  # response level 0..J-1 per row
    x: np.ndarray  # fixed-effect design without intercept, (n, p)
    groups: np.ndarray  # group code 0..G-1 per row, rows sorted by group
    n_groups: int
    n_cuts: int
    starts: np.ndarray  # each group's first row
    counts: np.ndarray  # each group's rows

    def group_sum(self, w):
        return np.add.reduceat(w, self.starts)

    def per_row(self, values):
        """A value per group repeated on the group's rows."""
        return np.repeat(values, self.counts)


@dataclass
class MixedOrdinalFit:
    cuts: np.ndarray
    beta: np.ndarray
    sd: float
    cov: np.ndarray | None  # (cuts, beta, log sd) or (cuts, beta) at the boundary
    loglik: float
    converged: bool
    message: str
    n_obs: int
    n_groups: int
    n_agq: int


def layout(codes, x, groups) -> Layout:
    """The rows sorted by group (the likelihood does not depend on their order): a group's sums and
    values are then contiguous runs instead of scattered ones, several times cheaper at a million rows."""
    groups = np.asarray(groups, dtype=np.intp)
    order = np.argsort(groups, kind="stable")
    groups = groups[order]
    counts = np.bincount(groups)
    if np.any(counts == 0):
        raise ValueError("group codes must be 0..G-1, each with rows")
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    codes = np.asarray(codes, dtype=np.intp)[order]
    x = np.asarray(x, dtype=float)[order]
    return Layout(codes, x, groups, len(counts), int(codes.max()), starts, counts)


def _cdf_terms(lay: Layout, eta: np.ndarray, cuts: np.ndarray, with_prob: bool = True):
    """F and f at the upper (a) and lower (b) cut of every row and the row probability (computed from
    the upper tail where F(a) - F(b) would cancel). Beyond the outer cuts F is exactly 1 or 0 and f
    exactly 0, so those rows need no mask."""
    a = np.append(cuts, np.inf)[lay.codes] - eta
    b = np.insert(cuts, 0, -np.inf)[lay.codes] - eta
    fa, fb = special.expit(a), special.expit(b)
    da, db = fa * (1 - fa), fb * (1 - fb)
    if not with_prob:
        return fa, fb, da, db, None
    prob = fa - fb
    tail = b > 0
    prob[tail] = special.expit(-b[tail]) - special.expit(-a[tail])
    return fa, fb, da, db, prob


class Marginal:
    """The approximate marginal log-likelihood of one data set, its gradient, and the group modes."""

    def __init__(self, lay: Layout, n_agq: int = 1):
        self.lay, self.n_agq = lay, int(n_agq)
        nodes, weights = np.polynomial.hermite.hermgauss(self.n_agq)
        self.nodes, self.log_weights = nodes, np.log(weights) + nodes**2
        self.u = np.zeros(lay.n_groups)

    def split(self, params):
        j = self.lay.n_cuts
        return params[:j], params[j:-1], float(np.exp(params[-1]))

    def group_sum(self, w):
        return self.lay.group_sum(w)

    def modes(self, eta_fix, cuts, sd, tol=1e-11, max_iter=200):
        """u_hat of every group: Newton on h'(u) = sd * sum(F(a) + F(b) - 1) - u, safeguarded by
        bisection; h' falls in u and its root lies in [-sd * n_g, sd * n_g] (|F(a) + F(b) - 1| < 1)."""
        lo, hi = -sd * self.lay.counts - 1e-12, sd * self.lay.counts + 1e-12
        u = np.clip(self.u, lo, hi)
        for _ in range(max_iter):
            fa, fb, da, db, _ = _cdf_terms(self.lay, eta_fix + sd * self.lay.per_row(u), cuts, with_prob=False)
            grad = sd * self.group_sum(fa + fb - 1) - u
            lo, hi = np.where(grad > 0, u, lo), np.where(grad > 0, hi, u)
            new = u + grad / (1 + sd**2 * self.group_sum(da + db))
            new = np.where((new < lo) | (new > hi), (lo + hi) / 2, new)
            done = np.max(np.abs(new - u)) < tol
            u = new
            if done:
                self.u = u
                return u
        return None

    def loglik(self, params) -> float | None:
        out = self.value_grad(params, gradient=False)
        return None if out is None else out[0]

    def value_grad(self, params, gradient: bool = True):
        """(log-likelihood, gradient in (cuts, beta, log sd) or None); None where it cannot be evaluated."""
        lay = self.lay
        cuts, beta, sd = self.split(np.asarray(params, dtype=float))
        if np.any(np.diff(cuts) <= 0) or not np.isfinite(sd) or sd <= 0:
            return None
        eta_fix = lay.x @ beta
        u_hat = self.modes(eta_fix, cuts, sd)
        if u_hat is None:
            return None
        mode = _cdf_terms(lay, eta_fix + sd * lay.per_row(u_hat), cuts)
        curv = 1 + sd**2 * self.group_sum(mode[2] + mode[3])  # D = -h''(u_hat)
        scale = np.sqrt(2 / curv)
        node_u = u_hat[:, None] + scale[:, None] * self.nodes[None, :]  # (G, K)
        if self.n_agq == 1:
            node_h = (self.group_sum(np.log(mode[4])) - u_hat**2 / 2)[:, None]
        else:
            node_h = np.column_stack([self._h(eta_fix, cuts, sd, node_u[:, k]) for k in range(self.n_agq)])
        log_terms = node_h + self.log_weights[None, :]
        log_sum = special.logsumexp(log_terms, axis=1)
        value = float(np.sum(log_sum + np.log(scale)) - lay.n_groups * 0.5 * np.log(2 * np.pi))
        if not np.isfinite(value):
            return None
        if not gradient:
            return value, None
        q = np.exp(log_terms - log_sum[:, None])
        return value, self._gradient(eta_fix, cuts, sd, u_hat, curv, node_u, q, mode)

    def _h(self, eta_fix, cuts, sd, u):
        prob = _cdf_terms(self.lay, eta_fix + sd * self.lay.per_row(u), cuts)[4]
        return self.group_sum(np.log(prob)) - u**2 / 2

    def _gradient(self, eta_fix, cuts, sd, u_hat, curv, node_u, q, mode):
        """Per group sum_k q_k dh/dpsi(u_k) + A dh_uu/dpsi + B dh_u/dpsi (the module docstring's total
        derivative), A = (1 + S2) / (2 D), B = S1 / D + (1 + S2) h_uuu / (2 D^2), S1 = sum_k q_k h'(u_k),
        S2 = sum_k q_k h'(u_k) x_k sqrt(2 / D); Laplace has S1 = S2 = 0."""
        lay = self.lay
        fa, fb, da, db, prob = mode
        d1, d2 = fa + fb - 1, -(da + db)  # eta-derivatives of log p at the mode
        dfa, dfb = da * (1 - 2 * fa), db * (1 - 2 * fb)  # f'
        d3 = dfa + dfb
        if self.n_agq == 1:
            w_beta, w_up, w_low = d1.copy(), da / prob, -db / prob
            h_tau = sd * u_hat * self.group_sum(d1)
            s1 = s2 = np.zeros(lay.n_groups)
        else:
            w_beta, w_up, w_low, h_tau, s1, s2 = self._node_sums(eta_fix, cuts, sd, curv, node_u, q)
        h_uuu = sd**3 * self.group_sum(d3)
        big_a = (1 + s2) / (2 * curv)
        big_b = s1 / curv + (1 + s2) * h_uuu / (2 * curv**2)
        a_row, b_row = lay.per_row(big_a), lay.per_row(big_b)
        w_beta += a_row * sd**2 * d3 + b_row * sd * d2
        # cuts: d(d1)/d(cut) = f at that cut and d(d2)/d(cut) = -f' there
        w_up += -a_row * sd**2 * dfa + b_row * sd * da
        w_low += -a_row * sd**2 * dfb + b_row * sd * db
        n = lay.n_cuts
        grad_cuts = np.bincount(lay.codes, weights=w_up, minlength=n + 1)[:n]
        grad_cuts += np.bincount(lay.codes, weights=w_low, minlength=n + 1)[1:]
        sum_d1, sum_d2, sum_d3 = self.group_sum(d1), self.group_sum(d2), self.group_sum(d3)
        h_u_tau = sd * sum_d1 + sd**2 * u_hat * sum_d2
        h_uu_tau = 2 * sd**2 * sum_d2 + sd**3 * u_hat * sum_d3
        grad_tau = np.sum(h_tau + big_a * h_uu_tau + big_b * h_u_tau)
        return np.concatenate((grad_cuts, lay.x.T @ w_beta, [grad_tau]))

    def _node_sums(self, eta_fix, cuts, sd, curv, node_u, q):
        """The q-weighted first derivatives at the quadrature nodes: row weights for beta and the cuts,
        the group sums for log sd, S1 and S2."""
        lay, n_rows, n_groups = self.lay, len(self.lay.groups), self.lay.n_groups
        w_beta, w_up, w_low = np.zeros(n_rows), np.zeros(n_rows), np.zeros(n_rows)
        h_tau, s1, s2 = np.zeros(n_groups), np.zeros(n_groups), np.zeros(n_groups)
        scale = np.sqrt(2 / curv)
        for k in range(self.n_agq):
            uk, qk = node_u[:, k], q[:, k]
            fa, fb, da, db, prob = _cdf_terms(lay, eta_fix + sd * lay.per_row(uk), cuts)
            d1, q_row = fa + fb - 1, lay.per_row(qk)
            w_beta += q_row * d1
            w_up += q_row * da / prob
            w_low -= q_row * db / prob
            sum_d1 = self.group_sum(d1)
            h_tau += qk * sd * uk * sum_d1
            h_u = sd * sum_d1 - uk
            s1 += qk * h_u
            s2 += qk * h_u * self.nodes[k] * scale
        return w_beta, w_up, w_low, h_tau, s1, s2


def start_values(lay: Layout) -> tuple[np.ndarray, np.ndarray | None]:
    """The plain cumulative logit's cuts and slopes (models/ordinal.py), sd = 1 as clmm starts; and
    for the optimiser a first inverse Hessian of -loglik / n in the free parameters (`_to_free`): the
    plain model's for the cuts and slopes, n / 2G for log sd (about 2 per group of information)."""
    fit = ordinal.newton_fit(lay.codes, lay.x, "logit", None)
    k = lay.x.shape[1]
    if fit is None:
        cuts = ordinal.start_cuts(lay.codes, lay.n_cuts + 1, "logit")
        return np.concatenate((cuts, np.zeros(k), [0.0])), None
    theta = fit[0][k:]
    cuts = np.concatenate((theta[:1], np.exp(theta[1:]))).cumsum()
    n = len(lay.codes)
    order = np.r_[k : k + lay.n_cuts, 0:k]  # statsmodels' (beta, c_1, log increments) -> ours
    hess_inv = np.zeros((len(order) + 1,) * 2)
    hess_inv[:-1, :-1] = n * fit[1][np.ix_(order, order)]
    hess_inv[-1, -1] = n / (2.0 * lay.n_groups)
    hess_inv = (hess_inv + hess_inv.T) / 2  # symmetric to rounding only: BFGS checks it exactly
    if np.any(np.linalg.eigvalsh(hess_inv) <= 0):
        hess_inv = None
    return np.concatenate((cuts, fit[0][:k], [0.0])), hess_inv


def _to_free(params, n_cuts):
    """(cuts, beta, tau) -> (c_1, log increments, beta, tau): the optimiser never sees unordered cuts."""
    cuts = params[:n_cuts]
    return np.concatenate((cuts[:1], np.log(np.diff(cuts)), params[n_cuts:]))


def _from_free(free, n_cuts):
    cuts = np.concatenate((free[:1], np.exp(free[1:n_cuts]))).cumsum()
    return np.concatenate((cuts, free[n_cuts:]))


def _free_jacobian(free, n_cuts):
    """d(cuts, beta, tau) / d(free)."""
    jac = np.eye(len(free))
    for c in range(n_cuts):
        jac[c, 0] = 1.0
        jac[c, 1 : c + 1] = np.exp(free[1 : c + 1])
    return jac


def numerical_hessian(model: Marginal, params: np.ndarray, keep: np.ndarray, step: float = 1e-5):
    """Central differences of the analytic gradient over the parameters in `keep`, symmetrised."""
    idx = np.flatnonzero(keep)
    hess = np.empty((len(idx), len(idx)))
    for col, j in enumerate(idx):
        h = step * max(1.0, abs(params[j]))
        up, down = params.copy(), params.copy()
        up[j] += h
        down[j] -= h
        g_up, g_down = model.value_grad(up), model.value_grad(down)
        if g_up is None or g_down is None:
            return None
        hess[:, col] = (g_up[1][idx] - g_down[1][idx]) / (2 * h)
    return (hess + hess.T) / 2


def fit_mixed_ordinal(codes, x, groups, n_agq: int = 1, max_newton: int = 20) -> MixedOrdinalFit:
    """ML fit; on failure a fit with converged False and the reason in `message`, never an exception."""
    lay = layout(codes, x, groups)
    model = Marginal(lay, n_agq)
    n_cuts, n_obs = lay.n_cuts, len(lay.codes)
    start, hess_inv = start_values(lay)

    def objective(free):
        out = model.value_grad(_from_free(free, n_cuts))
        if out is None:
            return np.inf, np.zeros(len(free))
        value, grad = out
        return -value / n_obs, -(_free_jacobian(free, n_cuts).T @ grad) / n_obs

    options = {"gtol": 1e-7} if hess_inv is None else {"gtol": 1e-7, "hess_inv0": hess_inv}
    res = optimize.minimize(objective, _to_free(start, n_cuts), jac=True, method="BFGS", options=options)
    params = _from_free(res.x, n_cuts)
    return _polish(model, params, lay, n_agq, max_newton)


def _polish(model: Marginal, params, lay, n_agq, max_newton) -> MixedOrdinalFit:
    """Newton steps on the numerical Hessian of the analytic gradient until the step is below 1e-8.
    The Hessian is recomputed only when a round of steps with it does not get there; the last one
    gives the covariance (the optimum is within 1e-8 of where it was taken)."""
    n_cuts, k = lay.n_cuts, lay.x.shape[1]
    converged, message, hess = False, "Newton did not converge", None
    keep = np.ones(len(params), bool)
    for _ in range(3):
        keep[-1] = np.exp(params[-1]) >= BOUNDARY_SD
        hess = numerical_hessian(model, params, keep)
        if hess is None or not np.all(np.linalg.eigvalsh(hess) < 0):
            message, hess = "the Hessian is not negative definite at the estimates", None
            break
        params, converged = _newton_steps(model, params, hess, keep, max_newton)
        if converged:
            message = "converged"
            break
    loglik = model.loglik(params)
    cov = None if hess is None else -np.linalg.inv(hess)
    sd = float(np.exp(params[-1]))
    if converged and sd < BOUNDARY_SD:
        message = "converged; random-effect SD at its boundary (0)"
    return MixedOrdinalFit(
        params[:n_cuts],
        params[n_cuts : n_cuts + k],
        sd,
        cov,
        np.nan if loglik is None else loglik,
        converged,
        message,
        len(lay.codes),
        lay.n_groups,
        n_agq,
    )


def _newton_steps(model, params, hess, keep, max_steps):
    """(params, converged): steps -H^-1 g with one fixed Hessian, halved until the fit does not fall."""
    for _ in range(max_steps):
        out = model.value_grad(params)
        if out is None:
            return params, False
        step = np.zeros(len(params))
        step[keep] = -np.linalg.solve(hess, out[1][keep])
        if np.max(np.abs(step)) < 1e-8:
            return params, True
        params = _line_search(model, params, step, out[0])
    return params, False


def _line_search(model, params, step, value):
    for _ in range(30):
        trial = params + step
        new = model.loglik(trial)
        if new is not None and new >= value - 1e-10 * abs(value):
            return trial
        step = step / 2
    return params


# --- a declared model's rows ------------------------------------------------------------------------------


def fit_terms(formula: str, data: pd.DataFrame, group: str, n_agq: int = 1, level: str = "partnership"):
    """(terms, fit) of a declared model: slopes with Wald z, cut points, sd_<level> and loglik."""
    endog, exog = ordinal.design(formula, data)
    groups = pd.factorize(data[group].astype(str), sort=True)[0]
    fit = fit_mixed_ordinal(endog.cat.codes.to_numpy(), exog.to_numpy(dtype=float), groups, n_agq)
    n_cuts, k = fit.cuts.size, fit.beta.size
    se = np.full(n_cuts + k, np.nan) if fit.cov is None else np.sqrt(np.diag(fit.cov))[: n_cuts + k]
    slopes = wald_terms(pd.Series(fit.beta, index=exog.columns), pd.Series(se[n_cuts:], index=exog.columns))
    names = ordinal.cut_names(ordinal.level_labels(endog.cat.categories))
    cuts = wald_terms(pd.Series(fit.cuts, index=names), pd.Series(se[:n_cuts], index=names))
    cuts["p_value"] = np.nan
    extra = extra_terms({f"sd_{level}": fit.sd, "loglik": fit.loglik})
    return pd.concat([slopes, cuts, extra], ignore_index=True), fit


def method_text(fit: MixedOrdinalFit, level: str = "partnership") -> str:
    how = "Laplace" if fit.n_agq == 1 else f"adaptive Gauss-Hermite quadrature, {fit.n_agq} nodes"
    text = (
        f"ML; cumulative logit with a {level} random intercept (as ordinal::clmm), {how}; "
        f"Wald z CI from the Hessian of the marginal log-likelihood; cut points c_k; groups {level}={fit.n_groups}"
    )
    if not fit.converged:
        return f"{text}; {NOT_CONVERGED}: {fit.message}"
    return text if fit.message == "converged" else f"{text}; {fit.message.removeprefix('converged; ')}"
