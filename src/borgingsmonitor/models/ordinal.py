"""Cumulative-logit (proportional odds) model of one Likert item, cluster-robust standard errors.

statsmodels' OrderedModel takes no constant (the cut points play its part), so the design matrix
is built without an intercept. Its threshold parameters are the first cut point and then the
logs of the increments; `cut_points` turns them into the actual cut points with delta-method
standard errors.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import patsy
from statsmodels.miscmodels.ordinal_model import OrderedModel

from borgingsmonitor.models.table import wald_terms


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
    exog = patsy.dmatrix(rhs, data, return_type="dataframe", NA_action="raise")
    exog = exog.drop(columns=[c for c in exog.columns if c == "Intercept"])
    y = data[lhs.strip()]
    levels = sorted(pd.unique(y))
    endog = pd.Series(pd.Categorical(y, categories=levels, ordered=True), index=data.index)
    return endog, exog


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
    names = [f"cut_{labels[k]}|{labels[k + 1]}" for k in range(len(theta))]
    terms = wald_terms(pd.Series(cuts, index=names), pd.Series(se, index=names))
    terms["p_value"] = np.nan
    return terms


def fit_ordinal(
    formula: str,
    data: pd.DataFrame,
    cluster: str | None = "partnership_id",
    distr: str = "logit",
) -> OrdinalFit:
    """Fit on complete rows of `data` (numpy dtypes); cluster-robust SEs when `cluster` is set."""
    endog, exog = design(formula, data)
    model = OrderedModel(endog, exog, distr=distr)
    kwargs = {}
    if cluster:
        groups = pd.factorize(data[cluster].astype(str), sort=True)[0]
        kwargs = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(method="bfgs", maxiter=5000, gtol=1e-8, disp=False, **kwargs)
        if not res.mle_retvals.get("converged", True):
            res = model.fit(method="nm", maxiter=20000, disp=False, start_params=res.params, **kwargs)
            res = model.fit(method="bfgs", maxiter=5000, gtol=1e-8, disp=False, start_params=res.params, **kwargs)
    params = np.asarray(res.params)
    cov = np.asarray(res.cov_params())
    k = exog.shape[1]
    slopes = wald_terms(
        pd.Series(params[:k], index=exog.columns), pd.Series(np.sqrt(np.diag(cov))[:k], index=exog.columns)
    )
    labels = [_level_label(v) for v in endog.cat.categories]
    terms = pd.concat([slopes, cut_points(params, cov, k, labels)], ignore_index=True)
    n_groups = int(data[cluster].nunique()) if cluster else None
    converged = bool(res.mle_retvals.get("converged", True))
    se_text = f"{cluster}-clustered SE" if cluster else "model SE"
    method = f"ML; statsmodels OrderedModel cumulative {distr}; {se_text}; cut points c_k (not increments)"
    if not converged:
        method += "; not converged"
    return OrdinalFit(terms, int(len(data)), n_groups, converged, float(res.llf), method)


def _level_label(value) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
