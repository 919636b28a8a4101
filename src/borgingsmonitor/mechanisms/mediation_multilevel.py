"""H5 as multilevel mediation (Amendment 1): FAC -> REL -> DUR within and between partnerships.

The conditions vary mostly between partnerships, so a single-level a*b mixes two mechanisms.
Here the exposure x, the mediator m and the covariates are each split into the partnership mean
over the analysed rows (`<name>_between`) and the respondent's deviation from it (`<name>_within`),
the hybrid (Mundlak) specification of the H1-H4 models:
  a path:  m ~ x_within + x_between + covariates_within + covariates_between + C(wave) [+ C(region)]
  b path:  y ~ m_within + m_between + x_within + x_between + covariates ... + C(wave) [+ C(region)]
fitted by REML with the exact estimator of `models.nested_lmm`. Random intercepts: below ten
regions region is fixed and the two random levels are partnership and partnership-within-wave;
from ten regions on region is random, with partnership inside it (the two levels the estimator
takes; the partnership-wave level is then left out and `region_effect` says "random").

indirect_<level> = a_<level> * b_<level>, direct_<level> the x coefficient of the b path,
total_<level> = direct + indirect. Their intervals come from Monte Carlo draws of the path
estimates from their sampling distribution (joint normal within each fitted model, the a and b
models independent), a fixed seed and a configurable number of draws: the percentile interval
of the product, and a two-sided p-value as twice the share of draws on the other side of 0.
The paths themselves get Wald intervals (normal reference).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy import stats as st

from borgingsmonitor.core.contracts import RANDOM_REGIONS_FROM
from borgingsmonitor.core.decompose import within_between
from borgingsmonitor.models.nested_lmm import fit_nested_lmm

LEVELS = ("within", "between")
PATH_EFFECTS = tuple(f"{p}_{lv}" for p in ("a", "b", "direct") for lv in LEVELS)
DERIVED_EFFECTS = tuple(f"{p}_{lv}" for p in ("indirect", "total") for lv in LEVELS) + ("indirect_difference",)
ML_EFFECTS = PATH_EFFECTS + DERIVED_EFFECTS
METHOD = "multilevel_monte_carlo"
PAIR = "partnership_wave"

log = logging.getLogger(__name__)


def analysis_frame(
    data: pd.DataFrame,
    x="FAC",
    m="REL",
    y="DUR",
    covariates=("PRO", "ORG"),
    wave="wave",
    cluster="partnership_id",
    region="region",
) -> pd.DataFrame:
    """Complete cases on every variable of both paths, sorted, decomposed, with a partnership-wave id."""
    cols = [region, cluster, wave, x, m, y, *covariates]
    frame = data[cols].dropna().copy()
    for col in [x, m, y, *covariates]:
        frame[col] = frame[col].astype(float)
    frame[wave] = frame[wave].astype(int)
    frame[cluster] = frame[cluster].astype(str)
    frame[region] = frame[region].astype(str)
    frame[PAIR] = frame[cluster] + "|" + frame[wave].astype(str)
    frame = frame.sort_values([region, cluster, wave], kind="stable").reset_index(drop=True)
    return within_between(frame, [x, m, *covariates], cluster)


def split(name: str) -> str:
    return f"{name}_within + {name}_between"


def path_formulas(x="FAC", m="REL", y="DUR", covariates=("PRO", "ORG"), wave="wave", region=None):
    """(a-path formula, b-path formula); `region` given = region as a fixed effect."""
    rhs = " + ".join([split(x), *map(split, covariates), f"C({wave})"] + ([f"C({region})"] if region else []))
    return f"{m} ~ {rhs}", f"{y} ~ {split(m)} + {rhs}"


def fit_paths(
    frame: pd.DataFrame,
    x="FAC",
    m="REL",
    y="DUR",
    covariates=("PRO", "ORG"),
    wave="wave",
    cluster="partnership_id",
    region="region",
) -> dict:
    """The two REML fits and which way region entered ("fixed" below ten regions, else "random")."""
    region_fixed = frame[region].nunique() < RANDOM_REGIONS_FROM  # as the declared models' `auto`
    formula_a, formula_b = path_formulas(x, m, y, covariates, wave, region if region_fixed else None)
    outer, inner = (cluster, PAIR) if region_fixed else (region, cluster)
    fit_a = fit_nested_lmm(formula_a, frame, region=outer, partnership=inner)
    fit_b = fit_nested_lmm(formula_b, frame, region=outer, partnership=inner)
    return {"a": fit_a, "b": fit_b, "region_effect": "fixed" if region_fixed else "random"}


def path_terms(x="FAC", m="REL") -> dict:
    """Effect name -> (model, coefficient name)."""
    out = {}
    for level in LEVELS:
        out[f"a_{level}"] = ("a", f"{x}_{level}")
        out[f"b_{level}"] = ("b", f"{m}_{level}")
        out[f"direct_{level}"] = ("b", f"{x}_{level}")
    return out


def derived(paths: np.ndarray) -> np.ndarray:
    """(..., 6) path values in PATH_EFFECTS order -> (..., 11) values in ML_EFFECTS order."""
    a_w, a_b, b_w, b_b, d_w, d_b = np.moveaxis(paths, -1, 0)
    ind_w, ind_b = a_w * b_w, a_b * b_b
    return np.stack([a_w, a_b, b_w, b_b, d_w, d_b, ind_w, ind_b, d_w + ind_w, d_b + ind_b, ind_b - ind_w], axis=-1)


def monte_carlo(fits: dict, n_draws: int, seed: int, x="FAC", m="REL") -> np.ndarray:
    """Draws of every effect, shape (n_draws, len(ML_EFFECTS)): the path estimates of each model
    from their joint normal (the a and b models drawn independently)."""
    rng = np.random.default_rng(seed)
    terms = path_terms(x, m)
    columns = []
    draws = {}
    for model in ("a", "b"):
        names = [coef for eff, (mod, coef) in terms.items() if mod == model]
        names = list(dict.fromkeys(names))
        fit = fits[model]
        mean = fit.params[names].to_numpy(float)
        cov = fit.cov_params.loc[names, names].to_numpy(float)
        z = rng.standard_normal((n_draws, len(names)))
        draws[model] = dict(zip(names, (mean + z @ np.linalg.cholesky(cov).T).T))
    for eff in PATH_EFFECTS:
        model, coef = terms[eff]
        columns.append(draws[model][coef])
    return derived(np.column_stack(columns))


def point_paths(fits: dict, x="FAC", m="REL") -> tuple[np.ndarray, np.ndarray]:
    """Path estimates and their SEs in PATH_EFFECTS order."""
    terms = path_terms(x, m)
    est = np.array([fits[terms[e][0]].params[terms[e][1]] for e in PATH_EFFECTS], dtype=float)
    se = np.array([fits[terms[e][0]].bse[terms[e][1]] for e in PATH_EFFECTS], dtype=float)
    return est, se


def multilevel_rows(
    data: pd.DataFrame,
    n_draws: int = 20000,
    seed: int = 20250101,
    level: float = 0.95,
    x="FAC",
    m="REL",
    y="DUR",
    covariates=("PRO", "ORG"),
    wave="wave",
    cluster="partnership_id",
    region="region",
) -> pd.DataFrame:
    """One row per ML_EFFECTS entry: estimate, Wald (paths) or Monte Carlo (products) CI and p."""
    frame = analysis_frame(data, x, m, y, covariates, wave, cluster, region)
    fits = fit_paths(frame, x, m, y, covariates, wave, cluster, region)
    est, se = point_paths(fits, x, m)
    draws = monte_carlo(fits, n_draws, seed, x, m)
    alpha = 1 - level
    z = st.norm.ppf(1 - alpha / 2)
    n_paths = len(PATH_EFFECTS)
    low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0, method="linear")
    estimate = derived(est)
    other_side = np.where(estimate >= 0, draws <= 0, draws >= 0).mean(axis=0)
    p_mc = np.clip(2 * other_side, 1 / n_draws, 1.0)
    std_error = draws.std(axis=0, ddof=1)
    std_error[:n_paths] = se
    low[:n_paths], high[:n_paths] = est - z * se, est + z * se
    p_mc[:n_paths] = 2 * st.norm.sf(np.abs(est / se))
    return pd.DataFrame(
        {
            "effect": list(ML_EFFECTS),
            "estimate": estimate,
            "ci_low": low,
            "ci_high": high,
            "p_value": p_mc,
            "n_obs": len(frame),
            "n_partnerships": frame[cluster].nunique(),
            "seed": seed,
            "method": METHOD,
            "std_error": std_error,
            "n_draws": [np.nan] * n_paths + [n_draws] * len(DERIVED_EFFECTS),
            "region_effect": fits["region_effect"],
        }
    )


def h5_table(
    data: pd.DataFrame, n_boot: int = 2000, n_draws: int = 20000, seed: int = 20250101, level: float = 0.95
) -> pd.DataFrame:
    """results/tables/mediation.csv: the registered single-level rows (a, b, direct, indirect,
    total; its sensitivity analysis) and then the multilevel rows; the contract's columns first."""
    from borgingsmonitor.mechanisms.mediation import mediation_table

    registered = mediation_table(data, n_boot=n_boot, seed=seed, level=level)
    registered = registered.assign(
        method="single_level_bootstrap", std_error=registered["boot_std_error"], n_draws=np.nan, region_effect=""
    )
    try:
        multilevel = multilevel_rows(data, n_draws=n_draws, seed=seed, level=level)
    except ValueError as err:  # too few partnerships for the between paths (a rank-deficient design)
        log.warning("multilevel mediation not estimable: %s", err)
        multilevel = pd.DataFrame({"effect": list(ML_EFFECTS), "method": f"{METHOD}; not estimable: {err}"})
    return pd.concat([registered, multilevel], ignore_index=True)[list(registered.columns)]
