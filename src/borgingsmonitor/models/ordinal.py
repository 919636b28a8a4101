"""Cumulative-logit (proportional odds) model of one Likert item, cluster-robust standard errors.

statsmodels' OrderedModel takes no constant (the cut points play its part), so the design matrix
is built without an intercept. Its threshold parameters are the first cut point and then the
logs of the increments; `cut_points` turns them into the actual cut points with delta-method
standard errors.

The default estimator is a Newton-Raphson on the analytic gradient and Hessian (in the actual cut
points, where the log-likelihood is concave), reported in statsmodels' parameterisation with the
same cluster-robust sandwich and small-sample factor G/(G-1) * (N-1)/(N-K) as statsmodels'
cov_type="cluster". statsmodels numerically differentiates a Python likelihood, which takes minutes
at a million rows; `estimator="statsmodels"` keeps that path, and it is the fallback when Newton
does not converge.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import patsy
from scipy import special
from statsmodels.miscmodels.ordinal_model import OrderedModel

from borgingsmonitor.core.contracts import NOT_CONVERGED
from borgingsmonitor.models.design import rename_term, unwrap_factors
from borgingsmonitor.models.table import wald_terms

DISTRIBUTIONS = ("logit", "probit")  # the analytic Newton path; anything else goes to statsmodels


@dataclass
class OrdinalFit:
    terms: pd.DataFrame
    n_obs: int
    n_groups: int
    converged: bool
    loglik: float
    method: str


def design(formula: str, data: pd.DataFrame):
    """Response (ordered categorical of the observed levels) and exog without an intercept."""
    lhs, rhs = formula.split("~", 1)
    # built with the intercept (so factors get treatment contrasts), which is then dropped
    data = _categoricals(rhs, data)
    fast, renamed = unwrap_factors(rhs, data)
    exog = patsy.dmatrix(fast, data, return_type="dataframe", NA_action="raise")
    exog.columns = [rename_term(c, renamed) for c in exog.columns]
    exog = exog.drop(columns=[c for c in exog.columns if c == "Intercept"])
    y = data[lhs.strip()]
    levels = sorted(pd.unique(y))
    endog = pd.Series(pd.Categorical(y, categories=levels, ordered=True), index=data.index)
    return endog, exog


def _categoricals(rhs: str, data: pd.DataFrame) -> pd.DataFrame:
    """Columns inside C(...) as pandas categoricals with sorted levels: the same treatment coding
    patsy would sniff, without its per-value Python loop (seconds at a million rows)."""
    names = [n for n in re.findall(r"C\(\s*(\w+)\s*[,)]", rhs) if n in data.columns]
    names = [n for n in names if not isinstance(data[n].dtype, pd.CategoricalDtype)]
    if not names:
        return data
    out = data.copy(deep=False)
    for name in dict.fromkeys(names):
        out[name] = pd.Categorical(data[name], categories=sorted(pd.unique(data[name])))
    return out


def cut_points(params: np.ndarray, cov: np.ndarray, k_exog: int, labels: list[str]) -> pd.DataFrame:
    """Actual cut points c_1 = t_1, c_k = t_1 + sum_{j<=k} exp(t_j), with delta-method SEs."""
    theta = params[k_exog:]
    cuts = np.concatenate((theta[:1], np.exp(theta[1:]))).cumsum()
    jac = np.zeros((len(theta), len(theta)))
    for k in range(len(theta)):
        jac[k, 0] = 1.0
        jac[k, 1 : k + 1] = np.exp(theta[1 : k + 1])
    cov_t = cov[k_exog:, k_exog:]
    se = np.sqrt(np.diag(jac @ cov_t @ jac.T))
    names = cut_names(labels)
    terms = wald_terms(pd.Series(cuts, index=names), pd.Series(se, index=names))
    terms["p_value"] = np.nan
    return terms


def fit_ordinal(
    formula: str,
    data: pd.DataFrame,
    cluster: str | None = "partnership_id",
    distr: str = "logit",
    estimator: str = "newton",
) -> OrdinalFit:
    """Fit on complete rows of `data` (numpy dtypes); cluster-robust SEs when `cluster` is set.

    estimator: "newton" (analytic, fast; falls back to statsmodels if it does not converge) or
    "statsmodels" (OrderedModel with BFGS and numerical derivatives).
    """
    if estimator not in ("newton", "statsmodels"):
        raise ValueError(f"unknown ordinal estimator {estimator!r}")
    endog, exog = design(formula, data)
    groups = pd.factorize(data[cluster].astype(str), sort=True)[0] if cluster else None
    if estimator == "newton" and distr in DISTRIBUTIONS:
        fast = newton_fit(endog.cat.codes.to_numpy(), exog.to_numpy(dtype=float), distr, groups)
        if fast is not None:
            params, cov, llf = fast
            method = f"ML; Newton-Raphson (analytic) cumulative {distr}"
            return _result(params, cov, llf, True, endog, exog, data, cluster, method)
    model = OrderedModel(endog, exog, distr=distr)
    kwargs = {}
    if cluster:
        kwargs = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(method="bfgs", maxiter=5000, gtol=1e-8, disp=False, **kwargs)
        if not res.mle_retvals.get("converged", True):
            res = model.fit(method="nm", maxiter=20000, disp=False, start_params=res.params, **kwargs)
            res = model.fit(method="bfgs", maxiter=5000, gtol=1e-8, disp=False, start_params=res.params, **kwargs)
    converged = bool(res.mle_retvals.get("converged", True))
    method = f"ML; statsmodels OrderedModel cumulative {distr}"
    return _result(
        np.asarray(res.params),
        np.asarray(res.cov_params()),
        float(res.llf),
        converged,
        endog,
        exog,
        data,
        cluster,
        method,
    )


def _result(params, cov, llf, converged, endog, exog, data, cluster, method) -> OrdinalFit:
    k = exog.shape[1]
    slopes = wald_terms(
        pd.Series(params[:k], index=exog.columns), pd.Series(np.sqrt(np.diag(cov))[:k], index=exog.columns)
    )
    terms = pd.concat([slopes, cut_points(params, cov, k, level_labels(endog.cat.categories))], ignore_index=True)
    n_groups = int(data[cluster].nunique()) if cluster else None
    se_text = f"{cluster}-clustered SE" if cluster else "model SE"
    method = f"{method}; {se_text}; cut points c_k (not increments)"
    if not converged:
        method += f"; {NOT_CONVERGED}"
    return OrdinalFit(terms, int(len(data)), n_groups, converged, llf, method)


def level_labels(levels) -> list[str]:
    return [str(int(v)) if float(v).is_integer() else str(v) for v in levels]


def cut_names(labels: list[str]) -> list[str]:
    """models.csv's name of the cut point between each pair of adjacent levels: cut_1|2, ..."""
    return [f"cut_{labels[k]}|{labels[k + 1]}" for k in range(len(labels) - 1)]


def newton_fit(
    codes: np.ndarray, x: np.ndarray, distr: str = "logit", groups=None, tol: float = 1e-10, max_iter: int = 100
):
    """MLE by Newton-Raphson in (beta, cut points); returns (params, cov, loglik) in statsmodels'
    parameterisation (beta, c_1, log increments), or None when it does not converge.

    codes: response level 0..J-1 per row; x: exog without constant; groups: cluster codes or None.
    """
    n_levels = int(codes.max()) + 1 if len(codes) else 0
    if n_levels < 2 or np.bincount(codes, minlength=n_levels).min() == 0:
        return None
    codes = codes.astype(np.intp)
    beta, cuts = np.zeros(x.shape[1]), start_cuts(codes, n_levels, distr)
    llf, grad, hess = derivatives(codes, x, beta, cuts, distr)
    for _ in range(max_iter):
        try:
            step = -np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return None
        accepted = False
        for _ in range(60):
            new_beta, new_cuts = beta + step[: len(beta)], cuts + step[len(beta) :]
            if np.all(np.diff(new_cuts) > 0):
                new = derivatives(codes, x, new_beta, new_cuts, distr)
                if np.isfinite(new[0]) and new[0] >= llf - 1e-12 * abs(llf):
                    accepted = True
                    break
            step = step / 2
        if not accepted:
            return None
        beta, cuts = new_beta, new_cuts
        llf, grad, hess = new
        if np.max(np.abs(step)) < tol:
            break
    else:
        return None
    if not np.all(np.linalg.eigvalsh(hess) < 0):
        return None
    return _theta_covariance(codes, x, beta, cuts, distr, groups, llf, grad, hess)


def start_cuts(codes: np.ndarray, n_levels: int, distr: str) -> np.ndarray:
    cum = np.bincount(codes, minlength=n_levels).cumsum()[:-1] / len(codes)
    return special.logit(cum) if distr == "logit" else special.ndtri(cum)


def loglik(codes, x, beta, cuts, distr) -> float:
    return float(np.log(_pieces(codes, x, beta, cuts, distr)[0]).sum())


def derivatives(codes, x, beta, cuts, distr):
    """Log-likelihood, gradient and Hessian in (beta, c_1..c_{J-1})."""
    prob, fu, fl, dfu, dfl = _pieces(codes, x, beta, cuts, distr)
    gu, gl = fu / prob, -fl / prob
    a, b, m = dfu / prob - gu**2, -dfl / prob - gl**2, -gu * gl
    n_cuts, k = len(cuts), x.shape[1]

    def by_level(w):  # sum of w over rows with upper cut k, and over rows with lower cut k
        s = np.bincount(codes, weights=w, minlength=n_cuts + 1)
        return s[:-1], s[1:]

    grad = np.empty(k + n_cuts)
    grad[:k] = -x.T @ (gu + gl)
    grad[k:] = by_level(gu)[0] + by_level(gl)[1]
    hess = np.empty((k + n_cuts, k + n_cuts))
    hess[:k, :k] = (x * (a + b + 2 * m)[:, None]).T @ x
    upper_weight, lower_weight = a + m, b + m  # formed once, not once per column
    for j, column in enumerate(np.asarray(x, dtype=float).T):
        column = np.ascontiguousarray(column)
        hess[j, k:] = -(by_level(column * upper_weight)[0] + by_level(column * lower_weight)[1])
    hess[k:, :k] = hess[:k, k:].T
    cc = np.diag(by_level(a)[0] + by_level(b)[1])
    off = by_level(m)[0][1:]  # rows with upper cut k and lower cut k-1
    cc[np.arange(1, n_cuts), np.arange(n_cuts - 1)] = off
    cc[np.arange(n_cuts - 1), np.arange(1, n_cuts)] = off
    hess[k:, k:] = cc
    return float(np.log(prob).sum()), grad, hess


def score_sums(codes, x, beta, cuts, distr, groups) -> np.ndarray:
    """Per-cluster sums of the score in (beta, c); one row per cluster code 0..G-1."""
    prob, fu, fl, _, _ = _pieces(codes, x, beta, cuts, distr)
    gu, gl = fu / prob, -fl / prob
    n_groups, n_cuts = int(groups.max()) + 1, len(cuts)
    beta_part = np.column_stack(
        [np.bincount(groups, weights=-(gu + gl) * x[:, j], minlength=n_groups) for j in range(x.shape[1])]
    )
    cell = groups * (n_cuts + 1) + codes
    up = np.bincount(cell, weights=gu, minlength=n_groups * (n_cuts + 1)).reshape(n_groups, n_cuts + 1)
    low = np.bincount(cell, weights=gl, minlength=n_groups * (n_cuts + 1)).reshape(n_groups, n_cuts + 1)
    return np.column_stack([beta_part.reshape(n_groups, -1), up[:, :-1] + low[:, 1:]])


def _theta_covariance(codes, x, beta, cuts, distr, groups, llf, grad, hess):
    """Covariance in (beta, c_1, log increments) as statsmodels reports it, model-based or clustered."""
    k, n_cuts = x.shape[1], len(cuts)
    theta = np.concatenate((cuts[:1], np.log(np.diff(cuts))))
    jac = np.eye(k + n_cuts)
    jac[k:, k] = 1.0
    for c in range(n_cuts):
        jac[k + c, k + 1 : k + c + 1] = np.exp(theta[1 : c + 1])
    hess_t = jac.T @ hess @ jac
    tail = np.cumsum(grad[k:][::-1])[::-1]  # sum over cuts k >= m of dlogL/dc_k
    hess_t[k + np.arange(1, n_cuts), k + np.arange(1, n_cuts)] += np.exp(theta[1:]) * tail[1:]
    hess_inv = np.linalg.inv(hess_t)
    params = np.concatenate((beta, theta))
    if groups is None:
        return params, -hess_inv, llf
    scores = score_sums(codes, x, beta, cuts, distr, np.asarray(groups, dtype=np.intp)) @ jac
    n_groups, n_obs, n_params = scores.shape[0], len(codes), len(params)
    cov = hess_inv @ (scores.T @ scores) @ hess_inv
    cov *= n_groups / (n_groups - 1.0) * ((n_obs - 1.0) / (n_obs - n_params))
    return params, cov, llf


def _pieces(codes, x, beta, cuts, distr):
    """Row probability and density / density derivative at the upper and lower cut (0 where infinite)."""
    eta = x @ beta
    ext = np.concatenate(([-np.inf], cuts, [np.inf]))
    upper, lower = ext[codes + 1] - eta, ext[codes] - eta
    has_u, has_l = codes < len(cuts), codes > 0
    with np.errstate(invalid="ignore", over="ignore"):
        if distr == "logit":  # each logistic value computed once (the density is F(z) F(-z))
            fu_up, fu_down = special.expit(upper), special.expit(-upper)
            fl_up, fl_down = special.expit(lower), special.expit(-lower)
            prob = np.where(lower > 0, fl_down - fu_down, fu_up - fl_up)
            fu, fl = fu_up * fu_down, fl_up * fl_down
            dfu, dfl = fu * -np.tanh(upper / 2), fl * -np.tanh(lower / 2)
        else:
            prob = np.where(
                lower > 0, special.ndtr(-lower) - special.ndtr(-upper), special.ndtr(upper) - special.ndtr(lower)
            )
            fu, fl = np.exp(-0.5 * upper**2) / np.sqrt(2 * np.pi), np.exp(-0.5 * lower**2) / np.sqrt(2 * np.pi)
            dfu, dfl = -upper * fu, -lower * fl
    return (
        prob,
        np.where(has_u, fu, 0.0),
        np.where(has_l, fl, 0.0),
        np.where(has_u, dfu, 0.0),
        np.where(has_l, dfl, 0.0),
    )
