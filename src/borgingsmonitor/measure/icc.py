"""Clustering of the scale scores: ICCs and design effects from null mixed models.

Null model per scale: score ~ 1 with random intercepts for region and for partnership
within region (statsmodels MixedLM, REML). For each level the ICC is that level's share of
the total variance. The design effect 1 + (m - 1) * rho uses rho = the correlation of two
respondents in the same cluster: for a partnership that is the region plus partnership
share (`icc_cluster`), for a region the region share. Each row's design effect is a one-level
one: row `partnership` treats partnerships as the clusters, row `region` regions as the only
clusters. The two-level design effect of regions and partnerships together is
`design_effect_nested` of the mixed models (models/mixed.py), not a row here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from borgingsmonitor.core.questionnaire import Questionnaire
from borgingsmonitor.models.nested_lmm import fit_nested_lmm

ICC_COLUMNS = [
    "scale",
    "level",
    "icc",
    "mean_cluster_size",
    "design_effect",
    "n",
    "n_groups",
    "variance",
    "icc_cluster",
]


OPTIMISERS = ("lbfgs", "bfgs", "powell", "nm")


def best_fit(model):
    """(fit, its warnings): each optimiser tried, the highest REML log-likelihood kept.

    One optimiser alone can stop at a local optimum that it reports as converged (seen with
    lbfgs on a scale whose region variance is small); comparing them guards against that.
    """
    fits = []
    for method in OPTIMISERS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = model.fit(reml=True, method=[method])
            except (np.linalg.LinAlgError, ValueError):
                continue
        fits.append((result, sorted({f"{method}: {w.message}" for w in caught})))
    if not fits:
        raise RuntimeError("MixedLM null model failed with every optimiser")
    converged = [f for f in fits if f[0].converged] or fits
    return max(converged, key=lambda f: f[0].llf)


def null_model_variances(
    df: pd.DataFrame, score: str, region: str = "region", partnership: str = "partnership_id"
) -> tuple[dict, list[str]]:
    """REML variance components {region, partnership, residual} and any fit warnings.

    The exact nested REML fit from per-partnership sufficient statistics (`nested_lmm`, validated
    against lme4): the same optimum MixedLM with four optimisers finds, in milliseconds at any size.
    """
    data = df[[score, region, partnership]].dropna().rename(columns={score: "y"})
    data = data.astype({region: str, partnership: str, "y": float})
    result = fit_nested_lmm("y ~ 1", data, region=region, partnership=partnership, method="REML")
    messages = [] if result.converged else [f"nested REML: {result.message}"]
    return dict(result.sigma2), messages


def icc_rows(df: pd.DataFrame, score: str) -> tuple[list[dict], list[str]]:
    data = df[[score, "region", "partnership_id"]].dropna()
    n = len(data)
    var, messages = null_model_variances(data, score)
    total = sum(var.values())
    n_groups = {
        "partnership": data.groupby(["region", "partnership_id"]).ngroups,
        "region": data["region"].nunique(),
    }
    cluster_share = {"partnership": (var["region"] + var["partnership"]) / total, "region": var["region"] / total}
    rows = []
    for level in ("partnership", "region"):
        m = n / n_groups[level]
        rows.append(
            {
                "scale": score,
                "level": level,
                "icc": var[level] / total,
                "mean_cluster_size": m,
                "design_effect": 1 + (m - 1) * cluster_share[level],
                "n": n,
                "n_groups": n_groups[level],
                "variance": var[level],
                "icc_cluster": cluster_share[level],
            }
        )
    rows.append(
        {
            "scale": score,
            "level": "residual",
            "icc": np.nan,
            "mean_cluster_size": np.nan,
            "design_effect": np.nan,
            "n": n,
            "n_groups": np.nan,
            "variance": var["residual"],
            "icc_cluster": np.nan,
        }
    )
    return rows, messages


def icc_table(df: pd.DataFrame, questionnaire: Questionnaire) -> tuple[pd.DataFrame, list[str]]:
    """icc.csv rows for every scale, plus the fit warnings (for the log)."""
    rows, log = [], []
    for scale in questionnaire.scales:
        with threadpool_limits(limits=1, user_api="blas"):
            scale_rows, messages = icc_rows(df, scale)
        rows += scale_rows
        log += [f"{scale}: {m}" for m in messages]
    table = pd.DataFrame(rows, columns=ICC_COLUMNS)
    table["n_groups"] = table["n_groups"].astype("Int64")
    return table, log
