"""Confirmatory factor analysis with lavaan's conventions.

Two fits of the same model: by full-information ML on every response (`fit_cfa_fiml`, the
likelihood in measure/fiml.py; Amendment 1) and, as its sensitivity analysis, by ML on the complete
responses (`fit_cfa`, the registered analysis), described below.

semopy specifies and fits the model (ML discrepancy, first loading of each factor fixed to 1,
factor covariances free); the fit is then polished with L-BFGS-B to a tight tolerance on the
sample covariance with divisor N (lavaan's `likelihood = "normal"`). Fit indices are computed
here from S and the implied covariance, as lavaan's `fitMeasures` does: chi2 = N * F_ML,
RMSEA and its 90% CI with N, CFI/TLI against the independence model, SRMR as
`srmr_bentler` (residual correlations scaled by the observed SDs, diagonal included).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import semopy
from scipy import optimize, stats
from threadpoolctl import threadpool_limits

from borgingsmonitor.core.questionnaire import Questionnaire
from borgingsmonitor.core.scales import keyed_items
from borgingsmonitor.measure import fiml

FIT_COLUMNS = [
    "model",
    "n",
    "chi2",
    "df",
    "p_value",
    "cfi",
    "tli",
    "rmsea",
    "rmsea_ci_low",
    "rmsea_ci_high",
    "srmr",
    "missing",
    "n_complete",
    "n_responses",
]
# Amendment 1: the CFA uses every response (FIML); listwise deletion is its sensitivity analysis
LISTWISE_SUFFIX = "_listwise"
LOADING_COLUMNS = ["model", "factor", "item", "reverse", "estimate", "std_loading", "r2"]


@dataclass
class CfaFit:
    n: int
    observed: list[str]
    sample_cov: np.ndarray
    implied_cov: np.ndarray
    n_params: int
    loadings: pd.DataFrame  # factor, item, estimate, std_loading
    converged: bool


def model_description(factors: dict[str, list[str]]) -> str:
    return "\n".join(f"{f} =~ {' + '.join(items)}" for f, items in factors.items())


def ml_discrepancy(s: np.ndarray, sigma: np.ndarray) -> float:
    """F_ML = log|Σ| + tr(SΣ⁻¹) - log|S| - p (lavaan's fmin is half of this)."""
    p = s.shape[0]
    _, logdet_sigma = np.linalg.slogdet(sigma)
    _, logdet_s = np.linalg.slogdet(s)
    return float(logdet_sigma + np.trace(s @ np.linalg.inv(sigma)) - logdet_s - p)


def srmr_bentler(s: np.ndarray, sigma: np.ndarray) -> float:
    sd = np.sqrt(np.diag(s))
    resid = (s - sigma) / np.outer(sd, sd)
    lower = resid[np.tril_indices_from(resid)]
    return float(np.sqrt(np.mean(lower**2)))


def rmsea(chi2: float, df: int, n: int) -> float:
    if df <= 0:
        return float("nan")
    return float(np.sqrt(max((chi2 - df) / (df * n), 0.0)))


def rmsea_ci(chi2: float, df: int, n: int, level: float = 0.90) -> tuple[float, float]:
    """Noncentral chi-square interval for RMSEA (lavaan's rmsea.ci.lower/upper)."""
    if df <= 0:
        return float("nan"), float("nan")
    upper_p, lower_p = (1 + level) / 2, (1 - level) / 2

    def ncp_for(prob: float) -> float:
        if stats.chi2.cdf(chi2, df) < prob:
            return 0.0
        f = lambda lam: stats.ncx2.cdf(chi2, df, lam) - prob  # noqa: E731
        hi = max(chi2, 1.0)
        while f(hi) > 0:
            hi *= 2
        return optimize.brentq(f, 1e-10, hi, xtol=1e-12)

    lam_low, lam_high = ncp_for(upper_p), ncp_for(lower_p)
    return float(np.sqrt(lam_low / (n * df))), float(np.sqrt(lam_high / (n * df)))


def fit_indices(s: np.ndarray, sigma: np.ndarray, n: int, n_params: int) -> dict:
    """chi2, df, p, CFI, TLI, RMSEA (+90% CI), SRMR with lavaan's ML conventions."""
    p = s.shape[0]
    chi2 = n * ml_discrepancy(s, sigma)
    chi2_base = n * ml_discrepancy(s, np.diag(np.diag(s)))
    return indices_from_chi2(chi2, p * (p + 1) // 2 - n_params, chi2_base, p * (p - 1) // 2, n, srmr_bentler(s, sigma))


def indices_from_chi2(chi2: float, df: int, chi2_base: float, df_base: int, n: int, srmr: float) -> dict:
    d_model, d_base = max(chi2 - df, 0.0), max(chi2_base - df_base, 0.0)
    denom = max(d_model, d_base)
    cfi = 1.0 if denom == 0 else 1 - d_model / denom
    tli = ((chi2_base / df_base - chi2 / df) / (chi2_base / df_base - 1)) if df > 0 else float("nan")
    low, high = rmsea_ci(chi2, df, n)
    return {
        "n": n,
        "chi2": chi2,
        "df": df,
        "p_value": float(stats.chi2.sf(chi2, df)) if df > 0 else float("nan"),
        "cfi": cfi,
        "tli": tli,
        "rmsea": rmsea(chi2, df, n),
        "rmsea_ci_low": low,
        "rmsea_ci_high": high,
        "srmr": srmr,
    }


def _polish(model: semopy.Model) -> bool:
    res = optimize.minimize(
        model.obj_mlw,
        model.param_vals.copy(),
        jac=model.grad_mlw,
        method="L-BFGS-B",
        bounds=model.get_bounds(),
        options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 20000},
    )
    model.param_vals = res.x
    model.update_matrices(res.x)
    return bool(res.success)


def _newton(model: semopy.Model, steps: int = 8, h: float = 1e-6) -> None:
    """Newton steps on the ML discrepancy (finite-difference Hessian of the analytic gradient).

    semopy orders its parameters by string hashing, so L-BFGS-B stops at a point that varies
    from run to run in the 11th digit; Newton's quadratic convergence takes every run to the
    same optimum to machine precision, so the written tables are identical on a rerun.
    """
    x = model.param_vals.copy()
    bounds = model.get_bounds()
    lower = np.array([b[0] if b[0] is not None else -np.inf for b in bounds])
    if np.any(x - lower < 1e-6):
        return  # a variance at its bound: leave the bounded L-BFGS-B solution as it is
    f0 = model.obj_mlw(x)
    for _ in range(steps):
        g = np.asarray(model.grad_mlw(x), dtype="float64")
        hess = np.empty((len(x), len(x)))
        for j in range(len(x)):
            e = np.zeros_like(x)
            e[j] = h
            hess[:, j] = (np.asarray(model.grad_mlw(x + e)) - np.asarray(model.grad_mlw(x - e))) / (2 * h)
        hess = (hess + hess.T) / 2
        try:
            step = np.linalg.solve(hess, g)
        except np.linalg.LinAlgError:
            break
        candidate = x - step
        f1 = model.obj_mlw(candidate)
        if not np.isfinite(f1) or f1 > f0 + 1e-12 or np.any(candidate < lower):
            break
        x, f0 = candidate, f1
        if np.max(np.abs(step)) < 1e-12:
            break
    model.param_vals = x
    model.update_matrices(x)


def _loadings(model: semopy.Model, sigma: np.ndarray, observed: list[str]) -> pd.DataFrame:
    mx = model.inspect(mode="mx")
    lam, psi = mx["Lambda"], mx["Psi"]
    rows = []
    for item in observed:
        for factor in lam.columns:
            est = float(lam.loc[item, factor])
            if est == 0:
                continue
            i = observed.index(item)
            std = est * np.sqrt(psi.loc[factor, factor]) / np.sqrt(sigma[i, i])
            rows.append({"factor": factor, "item": item, "estimate": est, "std_loading": float(std)})
    return pd.DataFrame(rows)


def fit_cfa(data: pd.DataFrame, factors: dict[str, list[str]]) -> CfaFit:
    """ML CFA of `factors` (factor -> items) on the complete rows of `data`; factors correlated."""
    observed = [i for items in factors.values() for i in items]
    x = data[observed].dropna(how="any").astype("float64")
    n = len(x)
    model = semopy.Model(model_description(factors))
    with threadpool_limits(limits=1, user_api="blas"):  # 20x20 matrices, 20 columns: BLAS threads only cost
        s = np.cov(x.to_numpy(), rowvar=False, ddof=0)
        # semopy's starting loadings are regressions on the rows: other starts change the last digits
        model.fit(x, cov=pd.DataFrame(s, index=observed, columns=observed))
        converged = _polish(model)
        _newton(model)
    order = list(model.vars["observed"])
    sigma_model, _ = model.calc_sigma()
    idx = [order.index(v) for v in observed]
    sigma = sigma_model[np.ix_(idx, idx)]
    loadings = _loadings(model, sigma, observed)
    # keep questionnaire order of factors and items
    loadings["_f"] = loadings["factor"].map({f: i for i, f in enumerate(factors)})
    loadings["_i"] = loadings["item"].map({v: i for i, v in enumerate(observed)})
    loadings = loadings.sort_values(["_f", "_i"]).drop(columns=["_f", "_i"]).reset_index(drop=True)
    return CfaFit(n, observed, s, sigma, len(model.param_vals), loadings, converged)


@dataclass
class FimlFit:
    indices: dict
    loadings: pd.DataFrame
    n_patterns: int
    converged: bool
    mu: np.ndarray
    sigma: np.ndarray


def fit_cfa_fiml(data: pd.DataFrame, factors: dict[str, list[str]]) -> FimlFit:
    """The same CFA by full-information ML on every row that answered at least one item, with
    lavaan's fit indices for missing data (measure/fiml.py)."""
    observed = [i for items in factors.values() for i in items]
    x = data[observed].astype("float64").to_numpy()
    with threadpool_limits(limits=1, user_api="blas"):
        patterns = fiml.missing_patterns(x)
        p, n = len(observed), sum(pat.n for pat in patterns)
        mu_h1, sigma_h1 = fiml.em_saturated(patterns, p)
        model = fiml.CfaModel(factors, observed)
        est, m2ll, converged = fiml.fit_model(model, patterns, model.start(mu_h1, sigma_h1))
        m2ll_h1 = fiml.minus2_loglik(patterns, mu_h1, sigma_h1)
    mu, sigma = model.moments(est)
    lam, phi, _, _ = model.unpack(est)
    chi2 = m2ll - m2ll_h1
    chi2_base = fiml.independence_m2ll(patterns, p) - m2ll_h1
    indices = indices_from_chi2(
        chi2,
        p * (p + 1) // 2 - (model.n_params - p),
        chi2_base,
        p * (p - 1) // 2,
        n,
        fiml.srmr_with_means(sigma_h1, mu_h1, sigma, mu),
    )
    rows = []
    for k, (factor, items) in enumerate(factors.items()):
        for item in items:
            i = observed.index(item)
            rows.append(
                {
                    "factor": factor,
                    "item": item,
                    "estimate": lam[i, k],
                    "std_loading": lam[i, k] * np.sqrt(phi[k, k] / sigma[i, i]),
                }
            )
    return FimlFit(indices, pd.DataFrame(rows), len(patterns), converged, mu, sigma)


def _loading_table(loadings: pd.DataFrame, model_name: str, questionnaire: Questionnaire) -> pd.DataFrame:
    loadings = loadings.copy()
    loadings.insert(0, "model", model_name)
    loadings.insert(3, "reverse", loadings["item"].isin(questionnaire.reverse_items))
    loadings["r2"] = loadings["std_loading"] ** 2
    return loadings[LOADING_COLUMNS]


def five_factor_cfa(df: pd.DataFrame, questionnaire: Questionnaire, model_name: str = "five_factor"):
    """(fit table, loadings table) for every item on its scale, reverse-keyed items reversed:
    first the FIML fit (`model_name`), then the listwise one (`model_name` + `_listwise`)."""
    keyed = pd.concat([keyed_items(df, questionnaire, s) for s in questionnaire.scales], axis=1)
    n_complete = int(keyed.notna().all(axis=1).sum())
    full = fit_cfa_fiml(keyed, questionnaire.scales)
    listwise = fit_cfa(keyed, questionnaire.scales)
    common = {"n_complete": n_complete, "n_responses": len(keyed)}
    fit_table = pd.DataFrame(
        [
            {"model": model_name, **full.indices, "missing": "fiml", **common},
            {
                "model": model_name + LISTWISE_SUFFIX,
                **fit_indices(listwise.sample_cov, listwise.implied_cov, listwise.n, listwise.n_params),
                "missing": "listwise",
                **common,
            },
        ],
        columns=FIT_COLUMNS,
    )
    loadings = pd.concat(
        [
            _loading_table(full.loadings, model_name, questionnaire),
            _loading_table(listwise.loadings, model_name + LISTWISE_SUFFIX, questionnaire),
        ],
        ignore_index=True,
    )
    return fit_table, loadings
