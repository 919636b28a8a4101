"""Seeded nested data (region > partnership > row) and reference fits for the nested_lmm tests."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

FORMULA = "y ~ x1 + x2 + C(wave)"


def make_nested(
    seed: int,
    n_regions: int = 6,
    n_partnerships: int = 30,
    n: int = 500,
    s2_region: float = 0.05,
    s2_partnership: float = 0.08,
    s2_residual: float = 0.25,
) -> pd.DataFrame:
    """Unequal partnership sizes, every region has a partnership, ids like the registry's."""
    rng = np.random.default_rng(seed)
    region_of = np.r_[np.arange(n_regions), rng.integers(0, n_regions, n_partnerships - n_regions)]
    size = rng.lognormal(0, 0.7, n_partnerships)
    part = np.r_[
        np.arange(n_partnerships), rng.choice(n_partnerships, size=n - n_partnerships, p=size / size.sum())
    ]
    wave = rng.choice([2023, 2024, 2025], size=n)
    x1 = rng.normal(3.2, 0.7, n)
    x2 = rng.normal(3.0, 0.8, n) + 0.3 * (x1 - 3.2)
    u_r = rng.normal(0, np.sqrt(s2_region), n_regions)
    u_p = rng.normal(0, np.sqrt(s2_partnership), n_partnerships)
    wave_eff = np.select([wave == 2024, wave == 2025], [0.1, -0.05], 0.0)
    y = (
        1
        + 0.5 * x1
        - 0.2 * x2
        + wave_eff
        + u_r[region_of[part]]
        + u_p[part]
        + rng.normal(0, np.sqrt(s2_residual), n)
    )
    return pd.DataFrame(
        {
            "region": [f"regio-{r + 1:02d}" for r in region_of[part]],
            "partnership_id": [f"R{r + 1:02d}-{p + 1:02d}" for r, p in zip(region_of[part], part)],
            "wave": wave,
            "x1": x1,
            "x2": x2,
            "y": y,
        }
    )


def statsmodels_fit(df: pd.DataFrame, reml: bool, formula: str = FORMULA, two_level: bool = False) -> dict:
    """statsmodels MixedLM, tightly converged; SEs from the fixed-effect block X'V^-1X.

    statsmodels' own `bse_fe` inverts the full observed Hessian (fixed and variance parameters
    together), which is not what lme4 reports; the fixed-effect block alone is.
    """
    import statsmodels.formula.api as smf

    if two_level:
        model = smf.mixedlm(formula, df, groups="partnership_id", re_formula="1")
    else:
        model = smf.mixedlm(
            formula, df, groups="region", re_formula="1", vc_formula={"partnership": "0 + C(partnership_id)"}
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(reml=reml, method=["bfgs"], gtol=1e-10)
        hess, _ = model.hessian(res.params_object)
    k = len(res.fe_params)
    cov = np.linalg.inv(-hess[:k, :k])
    return {
        "params": res.fe_params,
        "bse": pd.Series(np.sqrt(np.diag(cov)), index=res.fe_params.index),
        "sigma2": {
            "region": 0.0 if two_level else float(res.cov_re.iloc[0, 0]),
            "partnership": float(res.cov_re.iloc[0, 0]) if two_level else float(res.vcomp[0]),
            "residual": float(res.scale),
        },
        "loglik": float(res.llf),
    }
