"""H6 network dip: is durability, adjusted for the conditions, non-linear in partnership age?

Two mixed models with random intercepts for partnership within region, fitted by ML so that
their fixed effects can be compared by a likelihood-ratio test:
  linear: DUR ~ age + REL + FAC + PRO + ORG + C(wave)
  spline: DUR ~ ns(age, df=3) + REL + FAC + PRO + ORG + C(wave)
The natural cubic spline is the restricted cubic spline basis (linear part + 2 non-linear
columns) with boundary knots at the observed minimum and maximum age and two interior knots at
the age tertiles. The linear model is the spline model without the non-linear columns, so the
LRT has 2 degrees of freedom. The basis is computed in our own columns (no data-dependent
centring), so the curve for new ages uses exactly the fitted basis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from borgingsmonitor.core.disclosure import DEFAULT_MIN_GROUP_SIZE, suppress_small
from borgingsmonitor.models.table import MODEL_COLUMNS, extra_terms, model_rows, wald_terms
from borgingsmonitor.core.tables import write_table

AGE = "partnership_age"
CONDITIONS = ("REL", "FAC", "PRO", "ORG")
CURVE_COLUMNS = ["partnership_age", "estimate", "ci_low", "ci_high"]
SPLINE_TERMS = ["age_linear", "age_nonlinear_1", "age_nonlinear_2"]


@dataclass
class LmmFit:
    params: pd.Series
    bse: pd.Series
    cov_params: pd.DataFrame
    loglik: float
    converged: bool
    n_obs: int
    n_groups: dict


def spline_knots(age, df: int = 3) -> np.ndarray:
    """Boundary knots at min/max age, df-1 interior knots at quantiles (equal spacing on ties)."""
    age = np.asarray(age, dtype=float)
    lo, hi = age.min(), age.max()
    if hi <= lo:
        raise ValueError("partnership_age takes a single value: no curve can be fitted")
    probs = np.linspace(0, 1, df + 1)[1:-1]
    inner = np.quantile(age, probs)
    knots = np.concatenate([[lo], inner, [hi]])
    if np.any(np.diff(knots) <= 0):
        knots = np.linspace(lo, hi, df + 1)
    return knots


def spline_basis(age, knots) -> np.ndarray:
    """Restricted (natural) cubic spline basis: [age, nonlinear_1, ..., nonlinear_{K-2}].

    Harrell's truncated-power form, scaled by (t_K - t_1)^2; linear beyond the boundary knots.
    """
    x = np.asarray(age, dtype=float)
    t = np.asarray(knots, dtype=float)
    k = len(t)
    scale = (t[-1] - t[0]) ** 2

    def pos3(v):
        return np.clip(v, 0, None) ** 3

    cols = [x]
    for j in range(k - 2):
        term = (
            pos3(x - t[j])
            - pos3(x - t[k - 2]) * (t[k - 1] - t[j]) / (t[k - 1] - t[k - 2])
            + pos3(x - t[k - 1]) * (t[k - 2] - t[j]) / (t[k - 1] - t[k - 2])
        )
        cols.append(term / scale)
    return np.column_stack(cols)


def analysis_frame(data: pd.DataFrame, knots=None, df: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    cols = ["region", "partnership_id", "wave", AGE, "DUR", *CONDITIONS]
    frame = data[cols].dropna().copy()
    for col in ["DUR", *CONDITIONS]:
        frame[col] = frame[col].astype(float)
    frame[AGE] = frame[AGE].astype(float)
    frame["wave"] = frame["wave"].astype(int)
    frame["region"] = frame["region"].astype(str)
    frame["partnership_id"] = frame["partnership_id"].astype(str)
    frame = frame.sort_values(["region", "partnership_id", "wave"], kind="stable").reset_index(drop=True)
    knots = spline_knots(frame[AGE], df) if knots is None else np.asarray(knots, float)
    basis = spline_basis(frame[AGE], knots)
    for i, name in enumerate(SPLINE_TERMS[: basis.shape[1]]):
        frame[name] = basis[:, i]
    return frame, knots


def formulas(n_spline: int) -> tuple[str, str]:
    rhs = " + ".join([*CONDITIONS, "C(wave)"])
    spline = " + ".join(SPLINE_TERMS[:n_spline])
    return f"DUR ~ age_linear + {rhs}", f"DUR ~ {spline} + {rhs}"


def _fit_statsmodels(formula: str, data: pd.DataFrame, region: str, partnership: str, method: str) -> LmmFit:
    import warnings

    import statsmodels.formula.api as smf

    model = smf.mixedlm(formula, data, groups=region, re_formula="1",
                        vc_formula={partnership: f"0 + C({partnership})"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.fit(reml=(method == "REML"))
    names = list(result.fe_params.index)
    return LmmFit(
        params=result.fe_params,
        bse=result.bse_fe,
        cov_params=result.cov_params().loc[names, names],
        loglik=float(result.llf),
        converged=bool(result.converged),
        n_obs=int(result.nobs),
        n_groups={region: data[region].nunique(), partnership: data[partnership].nunique()},
    )


def fit_lmm(formula: str, data: pd.DataFrame, region="region", partnership="partnership_id", method="ML"):
    """The project's nested mixed model when it is available, else statsmodels MixedLM."""
    try:
        from borgingsmonitor.models.nested_lmm import fit_nested_lmm
    except ImportError:
        return _fit_statsmodels(formula, data, region, partnership, method)
    return fit_nested_lmm(formula, data, region=region, partnership=partnership, method=method)


def _as_series(values, names=None) -> pd.Series:
    return values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, float), index=names)


def _as_frame(cov, names) -> pd.DataFrame:
    if isinstance(cov, pd.DataFrame):
        return cov.loc[names, names]
    cov = cov() if callable(cov) else cov
    return pd.DataFrame(np.asarray(cov, float), index=names, columns=names)


def likelihood_ratio(fit_small, fit_big, df: int) -> dict:
    chi2 = max(0.0, 2 * (float(fit_big.loglik) - float(fit_small.loglik)))
    return {"chi2": chi2, "df": df, "p_value": float(stats.chi2.sf(chi2, df))}


def adjusted_curve(fit, frame: pd.DataFrame, knots, level: float = 0.95) -> pd.DataFrame:
    """Predicted DUR (on the DUR scale) per observed age: conditions at their sample means,
    wave at the reference (earliest) wave; 95% CI from the fixed-effect covariance."""
    params = _as_series(fit.params)
    names = list(params.index)
    cov = _as_frame(fit.cov_params, names)
    ages = np.sort(frame[AGE].unique())
    basis = spline_basis(ages, knots)
    X = pd.DataFrame(0.0, index=range(len(ages)), columns=names)
    X["Intercept"] = 1.0
    for i, name in enumerate(SPLINE_TERMS[: basis.shape[1]]):
        if name in X:
            X[name] = basis[:, i]
    for col in CONDITIONS:
        X[col] = frame[col].mean()
    estimate = X.to_numpy() @ params.to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", X.to_numpy(), cov.to_numpy(), X.to_numpy()))
    crit = stats.norm.ppf(0.5 + level / 2)
    counts = frame.groupby(AGE).size().reindex(ages).to_numpy()
    return pd.DataFrame({
        "partnership_age": ages.astype(int),
        "estimate": estimate,
        "ci_low": estimate - crit * se,
        "ci_high": estimate + crit * se,
        "std_error": se,
        "n": counts,
    })


def network_dip(data: pd.DataFrame, df: int = 3, min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
                level: float = 0.95) -> dict:
    """Fit both models; return the curve table, the models.csv rows and the fits."""
    frame, knots = analysis_frame(data, df=df)
    linear_formula, spline_formula = formulas(len(knots) - 1)
    fit_linear = fit_lmm(linear_formula, frame)
    fit_spline = fit_lmm(spline_formula, frame)
    lrt = likelihood_ratio(fit_linear, fit_spline, df=len(knots) - 2)
    curve = adjusted_curve(fit_spline, frame, knots, level)
    curve = suppress_small(curve, ["estimate", "ci_low", "ci_high", "std_error"], "n", min_group_size)
    rows = model_table(fit_linear, fit_spline, lrt, knots, level)
    return {"curve": curve, "rows": rows, "lrt": lrt, "knots": knots,
            "fit_linear": fit_linear, "fit_spline": fit_spline, "n_obs": len(frame)}


def model_table(fit_linear, fit_spline, lrt: dict, knots, level: float = 0.95) -> pd.DataFrame:
    """Rows for results/interim/models/network_dip.csv in the models.csv format."""
    knot_text = ", ".join(f"{k:g}" for k in knots)
    n_groups = fit_spline.n_groups
    groups = ", ".join(f"{k}={int(v)}" for k, v in dict(n_groups).items()) if isinstance(n_groups, dict) else ""
    method = f"LMM ML, random intercepts partnership within region ({groups}); natural spline knots {knot_text}"
    test = extra_terms({"lrt_spline_vs_linear": lrt["chi2"]})
    test["p_value"] = lrt["p_value"]
    parts = [model_rows("network_dip", test, fit_spline.n_obs, n_groups,
                        f"{method}; LR chi2 df={lrt['df']}")]
    for fit, label, terms in [(fit_spline, "spline", SPLINE_TERMS[: len(knots) - 1]),
                              (fit_linear, "linear", ["age_linear"])]:
        params, bse = _as_series(fit.params), _as_series(fit.bse, list(_as_series(fit.params).index))
        wt = wald_terms(params[terms], bse[terms], level)
        wt["term"] = [f"{label}:{t}" for t in terms]
        loglik = extra_terms({f"{label}:loglik": fit.loglik})
        converged = "" if fit.converged else "; NOT CONVERGED"
        parts.append(model_rows("network_dip", pd.concat([wt, loglik]), fit.n_obs, n_groups,
                                f"{method}; {label} model{converged}"))
    return pd.concat(parts, ignore_index=True)[MODEL_COLUMNS]


def write_curve(curve: pd.DataFrame, path) -> None:
    cols = CURVE_COLUMNS + [c for c in curve.columns if c not in CURVE_COLUMNS]
    write_table(curve[cols], path)
