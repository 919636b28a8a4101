"""Data with a known multilevel mediation FAC -> REL -> DUR, on the in-project simulator's design.

`simulate_clean` gives the partnerships, regions, waves and the observed FAC, PRO and ORG scores;
REL and DUR are then redrawn from exactly the models `mechanisms.mediation_multilevel` fits (the split is `core.decompose`)
(partnership means and deviations over the analysed rows, region offsets, partnership and
partnership-within-wave random intercepts), so the path coefficients are the truth, and the
indirect effects are their products. Rows with a missing FAC, PRO or ORG get no REL or DUR, so
the analysed rows (and the partnership means) are the ones the truth was drawn on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from borgingsmonitor.core.decompose import within_between
from borgingsmonitor.synthetic.simulate import simulate_clean

TRUE_PATHS = {
    "a_within": 0.05,
    "a_between": 0.40,
    "b_within": 0.30,
    "b_between": 0.45,
    "direct_within": 0.10,
    "direct_between": 0.15,
}
COVARIATE_EFFECT = 0.10
VARIANCES = {"region": 0.03, "partnership": 0.05, "partnership_wave": 0.02, "residual": 0.30}


def simulate_mediation(
    n_responses: int = 1400,
    n_regions: int = 4,
    n_partnerships: int = 26,
    seed: int = 1,
    paths: dict | None = None,
    variances: dict | None = None,
) -> tuple[pd.DataFrame, dict]:
    """(clean-shaped frame with REL and DUR redrawn, truth dict with every effect of ML_EFFECTS)."""
    paths = dict(TRUE_PATHS, **(paths or {}))
    var = dict(VARIANCES, **(variances or {}))
    frame, _ = simulate_clean(n_responses, n_regions=n_regions, n_partnerships=n_partnerships, seed=seed)
    rng = np.random.default_rng([seed, 11])
    rows = frame[["FAC", "PRO", "ORG"]].notna().all(axis=1).to_numpy()
    sub = within_between(frame.loc[rows], ["FAC", "PRO", "ORG"], "partnership_id")
    noise = _intercepts(rng, sub, var)
    covs = COVARIATE_EFFECT * sum(sub[f"{c}_{lv}"] for c in ("PRO", "ORG") for lv in ("within", "between"))
    rel = 3.5 + paths["a_within"] * sub["FAC_within"] + paths["a_between"] * (sub["FAC_between"] - 3.0)
    sub["REL"] = rel + covs + noise()
    sub = within_between(sub, ["REL"], "partnership_id")
    dur = (
        3.3
        + paths["b_within"] * sub["REL_within"]
        + paths["b_between"] * (sub["REL_between"] - 3.5)
        + paths["direct_within"] * sub["FAC_within"]
        + paths["direct_between"] * (sub["FAC_between"] - 3.0)
    )
    sub["DUR"] = dur + covs + noise()
    out = frame.copy()
    out["REL"] = np.nan
    out["DUR"] = np.nan
    out.loc[rows, "REL"] = sub["REL"].to_numpy()
    out.loc[rows, "DUR"] = sub["DUR"].to_numpy()
    return out, truth(paths)


def truth(paths: dict) -> dict:
    out = dict(paths)
    for lv in ("within", "between"):
        out[f"indirect_{lv}"] = paths[f"a_{lv}"] * paths[f"b_{lv}"]
        out[f"total_{lv}"] = paths[f"direct_{lv}"] + out[f"indirect_{lv}"]
    out["indirect_difference"] = out["indirect_between"] - out["indirect_within"]
    return out


def _intercepts(rng, sub: pd.DataFrame, var: dict):
    """A function drawing region + partnership + partnership-wave + residual noise for the rows."""
    keys = {
        "region": sub["region"].astype(str),
        "partnership": sub["partnership_id"].astype(str),
        "partnership_wave": sub["partnership_id"].astype(str) + "|" + sub["wave"].astype(str),
    }
    codes = {k: pd.factorize(v, sort=True)[0] for k, v in keys.items()}

    def draw():
        total = rng.normal(0, np.sqrt(var["residual"]), len(sub))
        for k, c in codes.items():
            total += rng.normal(0, np.sqrt(var[k]), c.max() + 1)[c]
        return total

    return draw
