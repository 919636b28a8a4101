"""Linear mixed model with random intercepts for region and partnership (nested).

Two estimators give the same `MixedFit`:
- `fit_statsmodels_mixed`: statsmodels MixedLM (groups = region, a variance component for the
  partnership), guarded against its known failure modes (see below);
- `fit_nested_reml`: the project's own `borgingsmonitor.models.nested_lmm`, when it is installed.

Guards on MixedLM. lbfgs can stop on a boundary (a variance component ~0) while reporting
convergence, and when a component falls under 1e-10 MixedLM's GLS step drops the fixed effects of
between-group regressors (intercept included) to exactly 0 (statsmodels issue #10239); lbfgs
can also stop near a boundary at a worse point than the boundary itself. So a fit that did not
converge or lies near a boundary is refitted with other optimisers, the boundary faces (the model
without one or both components) are fitted as well, and the best REML log-likelihood is kept; a
component whose face wins is reported as exactly 0 with the fixed effects of that face.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import patsy
import statsmodels.formula.api as smf

from borgingsmonitor.core.contracts import NOT_CONVERGED

OPTIMISERS = ("lbfgs", "powell", "nm", "bfgs", "cg")
NEAR_BOUNDARY = 1e-2  # a variance under 1% of the residual variance triggers the refits


@dataclass
class MixedFit:
    params: pd.Series
    bse: pd.Series
    cov_params: pd.DataFrame
    sigma2: dict
    loglik: float
    converged: bool
    n_obs: int
    n_groups: dict
    method: str
    df: pd.Series | None = None  # Satterthwaite df per fixed effect (nested_reml); None = z


def plain_dtypes(data: pd.DataFrame) -> pd.DataFrame:
    """Nullable pandas dtypes as numpy ones (patsy and statsmodels need NaN, not pd.NA)."""
    out = data.copy()
    for col in out.columns:
        dtype = out[col].dtype
        if isinstance(dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_numeric_dtype(dtype):
            if pd.api.types.is_integer_dtype(dtype) and not out[col].isna().any():
                out[col] = out[col].astype("int64")
            else:
                out[col] = out[col].astype("float64")
        elif isinstance(dtype, pd.StringDtype):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def formula_variables(formula: str, data: pd.DataFrame) -> list[str]:
    """Columns of `data` the formula refers to, in the order they first appear."""
    desc = patsy.ModelDesc.from_formula(formula)
    names = []
    for term in desc.lhs_termlist + desc.rhs_termlist:
        for factor in term.factors:
            for name in names_in(factor.code):
                if name in data.columns and name not in names:
                    names.append(name)
    return names


def names_in(code: str) -> list[str]:
    """The variable names in a patsy factor's code: `C(role)` -> ['C', 'role'], `np.log(x)` -> ['np', 'x']."""
    return [node.id for node in ast.walk(ast.parse(code, mode="eval")) if isinstance(node, ast.Name)]


def numeric_plain_terms(formula: str, data: pd.DataFrame) -> list[str]:
    """Bare numeric columns in the formula (not inside C() or a function): what standardising scales."""
    desc = patsy.ModelDesc.from_formula(formula)
    out = []
    for term in desc.lhs_termlist + desc.rhs_termlist:
        for factor in term.factors:
            code = factor.code.strip()
            if code in data.columns and pd.api.types.is_numeric_dtype(data[code]) and code not in out:
                out.append(code)
    return out


def complete_rows(formula: str, data: pd.DataFrame, grouping: list[str]) -> pd.DataFrame:
    """The analysed rows: every formula variable and grouping column present; numpy dtypes."""
    variables = formula_variables(formula, data)
    cols = variables + [g for g in grouping if g not in variables]
    out = plain_dtypes(data[cols]).dropna()
    return out.reset_index(drop=True)


def standardise(data: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """z-scores (sample sd) over the rows given."""
    out = data.copy()
    for col in columns:
        values = out[col].astype(float)
        out[col] = (values - values.mean()) / values.std(ddof=1)
    return out


@dataclass
class _Candidate:
    levels: tuple  # the random-intercept levels kept: (outer, inner), (outer,), (inner,) or ()
    optimiser: str
    result: object
    sigma2: dict
    loglik: float
    converged: bool


def _fit_mixedlm(formula, data, levels, reml, optimiser):
    groups, inner = levels if len(levels) == 2 else (levels[0], None)
    vc = {"partnership": f"0 + C({inner})"} if inner else None
    model = smf.mixedlm(formula, data, groups=data[groups], re_formula="1", vc_formula=vc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.fit(reml=reml, method=[optimiser], maxiter=2000)
    sigma2 = {groups: float(np.asarray(result.cov_re)[0, 0])}
    if inner:
        sigma2[inner] = float(result.vcomp[0])
    sigma2["residual"] = float(result.scale)
    return _Candidate(levels, optimiser, result, sigma2, float(result.llf), bool(result.converged))


def _fit_ols(formula, data, reml):
    """No random effects left; the log-likelihood on MixedLM's (REML) scale, so fits compare."""
    result = smf.ols(formula, data).fit()
    n, k = result.model.exog.shape
    rss = float(result.ssr)
    if reml:
        _, logdet = np.linalg.slogdet(result.model.exog.T @ result.model.exog)
        dfr = n - k
        llf = -0.5 * (dfr * np.log(2 * np.pi * rss / dfr) + logdet + dfr)
    else:
        llf = float(result.llf)
    sigma2 = {"residual": rss / (n - k) if reml else rss / n}
    return _Candidate((), "ols", result, sigma2, llf, True)


def _try(formula, data, levels, reml, optimiser):
    try:
        cand = _fit_mixedlm(formula, data, levels, reml, optimiser)
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
        return None
    return cand if np.isfinite(cand.loglik) else None


def _near_boundary(sigma2: dict, tol: float = NEAR_BOUNDARY) -> list[str]:
    resid = sigma2["residual"]
    return [k for k, v in sigma2.items() if k != "residual" and v <= tol * resid]


def _trouble(cand) -> str:
    if cand is None:
        return "failed"
    if not cand.converged:
        return "not converged"
    if _near_boundary(cand.sigma2):
        return "boundary"
    return ""


def _best(cands):
    usable = [c for c in cands if c is not None]
    pool = [c for c in usable if c.converged] or usable
    # highest log-likelihood; within 1e-6 prefer fewer variance components, then the optimiser order
    top = max(c.loglik for c in pool)
    tied = [c for c in pool if c.loglik >= top - 1e-6]
    return min(tied, key=lambda c: (len(c.levels), _order(c.optimiser)))


def _order(optimiser):
    return OPTIMISERS.index(optimiser) if optimiser in OPTIMISERS else len(OPTIMISERS)


def _fit_levels(formula, data, levels, reml):
    """Best fit with these random-intercept levels: lbfgs and powell, on trouble every optimiser."""
    first = _try(formula, data, levels, reml, OPTIMISERS[0])
    second = _try(formula, data, levels, reml, OPTIMISERS[1])
    cands = [first, second]
    reason = _trouble(first)
    if not reason and second is not None and second.loglik > first.loglik + 1e-6:
        reason = f"{OPTIMISERS[1]} found a higher REML loglik"
    if reason:
        cands += [_try(formula, data, levels, reml, opt) for opt in OPTIMISERS[2:]]
    return _best(cands), reason, cands


def fit_statsmodels_mixed(
    formula: str,
    data: pd.DataFrame,
    region: str = "region",
    partnership: str = "partnership_id",
    method: str = "REML",
) -> MixedFit:
    """Random intercepts for `region` and `partnership` within region, with the guards above.

    The full model is fitted with lbfgs and powell; if lbfgs did not converge, lies near a
    boundary or is beaten, it is refitted with every other optimiser. The boundary faces (the model without the region
    intercept, without the partnership intercept, without both) are fitted too, and the fit with
    the best REML log-likelihood wins; a face wins ties, so a zero variance is reported as 0
    with the fixed effects of the model without that component (sidestepping issue #10239).
    """
    data = data.copy()
    key = "_partnership_key"
    data[key] = data[region].astype(str) + "/" + data[partnership].astype(str)
    reml = method.upper() == "REML"
    full, reason, tried = _fit_levels(formula, data, (region, key), reml)
    faces = [_fit_levels(formula, data, (lv,), reml)[0] for lv in (region, key)] + [_fit_ols(formula, data, reml)]
    best_face = max((f for f in faces if f is not None), key=lambda c: c.loglik)
    if not reason and best_face.loglik > full.loglik + 1e-6:
        # the full model contains every face, so a face that fits better means lbfgs stopped early
        reason = "worse than a boundary face"
        tried += [_try(formula, data, (region, key), reml, opt) for opt in OPTIMISERS[2:]]
        full = _best(tried)
    if full is None:
        raise RuntimeError(f"MixedLM failed with every optimiser for {formula!r}")
    best = _best([full] + faces)
    text = _describe(full, reason, tried, best, region, key, partnership)
    fe = best.result.fe_params.index if hasattr(best.result, "fe_params") else best.result.params.index
    cov = gls_cov(best, data) if best.levels else best.result.cov_params().loc[fe, fe]
    return MixedFit(
        params=pd.Series(best.result.params[fe], dtype=float),
        bse=pd.Series(np.sqrt(np.diag(cov)), index=fe, dtype=float),
        cov_params=cov,
        sigma2={
            "region": best.sigma2.get(region, 0.0),
            "partnership": best.sigma2.get(key, 0.0),
            "residual": best.sigma2["residual"],
        },
        loglik=best.loglik,
        converged=best.converged,
        n_obs=int(len(data)),
        n_groups={region: data[region].nunique(), partnership: data[key].nunique()},
        method=f"{method.upper()}; statsmodels MixedLM {text}; SE from (X'V^-1X)^-1",
    )


def gls_cov(cand: _Candidate, data: pd.DataFrame) -> pd.DataFrame:
    """(X'V^-1X)^-1 at the estimated variances, as lme4 reports it.

    statsmodels' own standard errors come from the inverse Hessian of all parameters, which
    differs slightly (up to ~1% with few regions); this keeps both estimators comparable.
    V is block-diagonal over the outer level: s2_e I + s2_outer J + s2_inner Z Z'.
    """
    model = cand.result.model
    names = model.exog_names[: model.k_fe]
    X = np.asarray(model.exog)[:, : model.k_fe]
    outer = cand.levels[0]
    inner = cand.levels[1] if len(cand.levels) == 2 else None
    info = np.zeros((X.shape[1], X.shape[1]))
    for _, idx in data.groupby(outer, sort=True, observed=True).indices.items():
        n = len(idx)
        V = cand.sigma2["residual"] * np.eye(n) + cand.sigma2[outer] * np.ones((n, n))
        if inner:
            codes = pd.factorize(data[inner].to_numpy()[idx])[0]
            V += cand.sigma2[inner] * (codes[:, None] == codes[None, :])
        Xb = X[idx]
        info += Xb.T @ np.linalg.solve(V, Xb)
    return pd.DataFrame(np.linalg.inv(info), index=names, columns=names)


def _describe(full, reason, tried, best, region, key, partnership) -> str:
    names = {region: region, key: partnership}
    text = OPTIMISERS[0]
    if reason:
        refits = [c for c in tried[1:] if c is not None]
        if full.optimiser != OPTIMISERS[0]:
            text = f"{OPTIMISERS[0]}->{full.optimiser} refit ({reason})"
        else:
            text = f"{OPTIMISERS[0]} ({reason}; {len(refits)} refits no better)"
    if best is not full:
        dropped = [names[lv] for lv in (region, key) if lv not in best.levels]
        how = "OLS" if not best.levels else f"MixedLM {best.optimiser}"
        text += (
            f"; {' and '.join(dropped)} variance at boundary (0): refit without it ({how}, "
            f"REML loglik {best.loglik:.4f} vs {full.loglik:.4f})"
        )
    elif not best.converged:
        text += f"; {NOT_CONVERGED}"
    return text


def fit_nested_reml(
    formula: str,
    data: pd.DataFrame,
    region: str = "region",
    partnership: str = "partnership_id",
    method: str = "REML",
) -> MixedFit:
    """The project's own nested REML estimator (borgingsmonitor.models.nested_lmm), as a MixedFit."""
    from borgingsmonitor.models.nested_lmm import fit_nested_lmm

    res = fit_nested_lmm(formula, data, region=region, partnership=partnership, method=method)
    return from_nested_result(res, region, partnership, method)


def from_nested_result(res, region: str, partnership: str, method: str) -> MixedFit:
    """A `nested_lmm` result as a MixedFit, its group counts under the data's column names."""
    n_groups = dict(res.n_groups)
    return MixedFit(
        params=pd.Series(res.params, dtype=float),
        bse=pd.Series(res.bse, dtype=float),
        cov_params=pd.DataFrame(res.cov_params),
        sigma2={k: float(res.sigma2[k]) for k in ("region", "partnership", "residual")},
        loglik=float(res.loglik),
        converged=bool(res.converged),
        n_obs=int(res.n_obs),
        n_groups={
            region: n_groups.get(region, n_groups.get("region")),
            partnership: n_groups.get(partnership, n_groups.get("partnership")),
        },
        method=f"{method.upper()}; borgingsmonitor.nested_lmm" + ("" if res.converged else f" ({NOT_CONVERGED})"),
        df=None if res.df is None else pd.Series(res.df, dtype=float),
    )


def nested_reml_available() -> bool:
    try:
        from borgingsmonitor.models.nested_lmm import fit_nested_lmm  # noqa: F401
    except ImportError:
        return False
    return True


def variance_summary(fit: MixedFit, data: pd.DataFrame, region: str, partnership: str) -> dict:
    """Variance components, residual-model ICCs and design effects (after the fixed effects).

    icc_region = s2_region / total and icc_partnership = s2_partnership / total are each level's
    share; icc_same_partnership = (s2_region + s2_partnership) / total is the correlation of two
    respondents of one partnership. design_effect = 1 + (n / P - 1) icc_same_partnership, Kish's
    effect of clustering in partnerships (as in icc.csv); design_effect_nested = 1 + (m_R - 1)
    icc_region + (m_P - 1) icc_partnership with m = sum(n_j^2) / n, the exact variance inflation
    of the mean under both levels and unequal cluster sizes.
    """
    return variance_rows(fit, cluster_sizes(data, region, partnership))


def cluster_sizes(data: pd.DataFrame, region: str, partnership: str) -> tuple[int, int, float, float]:
    """(n, partnerships, m_R, m_P) of `variance_summary`: imputed copies share them, so they are
    worked out once (at a million rows, ~0.4 s of string keys a copy)."""
    n = len(data)
    key = data[region].astype(str) + "/" + data[partnership].astype(str)
    m_r = float((data.groupby(region, observed=True).size() ** 2).sum() / n)
    m_p = float((key.value_counts() ** 2).sum() / n)
    return n, key.nunique(), m_r, m_p


def variance_rows(fit: MixedFit, sizes: tuple[int, int, float, float]) -> dict:
    """`variance_summary` from the fit and `cluster_sizes`."""
    n, n_partnerships, m_r, m_p = sizes
    s2 = fit.sigma2
    total = s2["region"] + s2["partnership"] + s2["residual"]
    icc_r = s2["region"] / total
    icc_p = s2["partnership"] / total
    return {
        "var_region": s2["region"],
        "var_partnership": s2["partnership"],
        "var_residual": s2["residual"],
        "icc_region": icc_r,
        "icc_partnership": icc_p,
        "icc_same_partnership": icc_r + icc_p,
        "design_effect": 1 + (n / n_partnerships - 1) * (icc_r + icc_p),
        "design_effect_nested": 1 + (m_r - 1) * icc_r + (m_p - 1) * icc_p,
        "loglik": fit.loglik,
    }
