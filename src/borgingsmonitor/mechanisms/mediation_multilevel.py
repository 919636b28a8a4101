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
total_<level> = direct + indirect. The paths get t intervals and p-values on their Satterthwaite
df (Amendment 1; `nested_lmm`'s df, as lmerTest): a between path rests on ~25 partnerships, and
the normal reference made its interval too short. The derived effects come from Monte Carlo
draws of the path estimates, a fixed seed and a configurable number of draws: the percentile
interval, and a two-sided p-value as twice the share of draws on the other side of 0. Each
path is drawn from the distribution its own interval uses: a scaled t on its Satterthwaite df,
joined to the other paths of the same model by the correlation of their estimates (a Gaussian
copula; the a and b models independent). A within path (df in the hundreds) is drawn as before
from the normal; a between path gets the heavier tails of its small df, which total_between,
carried mostly by direct_between, needs (docs/validation-mediation-survival.md).
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


COLUMNS = ("region", "partnership_id", "wave", "FAC", "REL", "DUR", "PRO", "ORG")  # what h5_table reads


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


def path_draws(mean, cov, df, z) -> np.ndarray:
    """Draws of correlated estimates: each a scaled t on its df (infinite = normal), correlated as
    `cov` says (Gaussian copula). `z`: standard normal draws, shape (n_draws, len(mean))."""
    se = np.sqrt(np.diag(cov))
    w = z @ np.linalg.cholesky(cov / np.outer(se, se)).T
    quantile = np.sign(w) * st.t.isf(st.norm.sf(np.abs(w)), df)
    return mean + quantile * se


def monte_carlo(fits: dict, n_draws: int, seed: int, x="FAC", m="REL", normal=False) -> np.ndarray:
    """Draws of every effect, shape (n_draws, len(ML_EFFECTS)): the path estimates of each model
    drawn by `path_draws` on their Satterthwaite df (`normal=True`: from the joint normal, the
    reference before Amendment 1's df; kept for the coverage study), the a and b models independent."""
    rng = np.random.default_rng(seed)
    terms = path_terms(x, m)
    draws = {}
    for model in ("a", "b"):
        names = list(dict.fromkeys(coef for mod, coef in terms.values() if mod == model))
        fit = fits[model]
        df = np.inf if normal else path_df(fit, names)
        z = rng.standard_normal((n_draws, len(names)))
        values = path_draws(fit.params[names].to_numpy(float), fit.cov_params.loc[names, names].to_numpy(float), df, z)
        draws[model] = dict(zip(names, values.T))
    return derived(np.column_stack([draws[terms[eff][0]][terms[eff][1]] for eff in PATH_EFFECTS]))


def path_df(fit, names) -> np.ndarray:
    """Satterthwaite df of the named coefficients; infinite (the normal) where the fit has none."""
    if fit.df is None:
        return np.full(len(names), np.inf)
    return np.nan_to_num(fit.df[names].to_numpy(float), nan=np.inf)


def point_paths(fits: dict, x="FAC", m="REL") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Path estimates, their SEs and Satterthwaite df in PATH_EFFECTS order."""
    terms = path_terms(x, m)
    est = np.array([fits[terms[e][0]].params[terms[e][1]] for e in PATH_EFFECTS], dtype=float)
    se = np.array([fits[terms[e][0]].bse[terms[e][1]] for e in PATH_EFFECTS], dtype=float)
    df = np.concatenate([path_df(fits[terms[e][0]], [terms[e][1]]) for e in PATH_EFFECTS])
    return est, se, df


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
    """One row per ML_EFFECTS entry: estimate, t (paths) or Monte Carlo (derived effects) CI and p."""
    frame = analysis_frame(data, x, m, y, covariates, wave, cluster, region)
    fits = fit_paths(frame, x, m, y, covariates, wave, cluster, region)
    return effect_rows(fits, frame[cluster].nunique(), len(frame), n_draws, seed, level, x, m)


def effect_rows(
    fits: dict, n_partnerships: int, n_obs: int, n_draws: int, seed: int, level: float, x="FAC", m="REL", normal=False
) -> pd.DataFrame:
    """The rows of `multilevel_rows` from the two fitted paths (`normal=True`: z intervals and
    normal draws, the reference before Amendment 1's df; for the coverage study)."""
    est, se, df = point_paths(fits, x, m)
    df = np.full_like(df, np.inf) if normal else df
    draws = monte_carlo(fits, n_draws, seed, x, m, normal)
    alpha = 1 - level
    n_paths = len(PATH_EFFECTS)
    low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0, method="linear")
    estimate = derived(est)
    other_side = np.where(estimate >= 0, draws <= 0, draws >= 0).mean(axis=0)
    p_value = np.clip(2 * other_side, 1 / n_draws, 1.0)
    std_error = draws.std(axis=0, ddof=1)
    std_error[:n_paths] = se
    crit = st.t.isf(alpha / 2, df)
    low[:n_paths], high[:n_paths] = est - crit * se, est + crit * se
    p_value[:n_paths] = 2 * st.t.sf(np.abs(est / se), df)
    n_derived = len(DERIVED_EFFECTS)
    return pd.DataFrame(
        {
            "effect": list(ML_EFFECTS),
            "estimate": estimate,
            "ci_low": low,
            "ci_high": high,
            "p_value": p_value,
            "n_obs": n_obs,
            "n_partnerships": n_partnerships,
            "seed": seed,
            "method": METHOD,
            "std_error": std_error,
            "n_draws": [np.nan] * n_paths + [n_draws] * n_derived,
            "region_effect": fits["region_effect"],
            "df": np.r_[np.where(np.isfinite(df), df, np.nan), [np.nan] * n_derived],
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
        method="single_level_bootstrap",
        std_error=registered["boot_std_error"],
        n_draws=np.nan,
        region_effect="",
        df=np.nan,
    )
    try:
        multilevel = multilevel_rows(data, n_draws=n_draws, seed=seed, level=level)
    except ValueError as err:  # too few partnerships for the between paths (a rank-deficient design)
        log.warning("multilevel mediation not estimable: %s", err)
        multilevel = pd.DataFrame({"effect": list(ML_EFFECTS), "method": f"{METHOD}; not estimable: {err}"})
    return pd.concat([registered, multilevel], ignore_index=True)[list(registered.columns)]
