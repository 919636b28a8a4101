"""Write tests/data/ordinal_mixed_sim.csv: a seeded cumulative-logit data set with a group random
intercept and known truth (40 groups x 20 rows, two predictors, five levels). Run from the repository
root:

    .venv/bin/python docs/validation/ordinal_mixed_make_data.py
"""

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

ROOT = Path(__file__).resolve().parents[2]
TRUTH = {"cuts": [-1.5, -0.3, 0.6, 1.8], "beta": [0.8, -0.5], "sd": 0.7}


def simulate(n_groups=40, per_group=20, seed=20261202, truth=TRUTH) -> pd.DataFrame:
    """logit P(y <= j) = cut_j - x'beta - b_g, b_g ~ N(0, sd^2): clmm's model and sign convention."""
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(n_groups), per_group)
    x = rng.normal(size=(len(group), len(truth["beta"])))
    eta = x @ np.asarray(truth["beta"]) + rng.normal(scale=truth["sd"], size=n_groups)[group]
    below = special.expit(np.asarray(truth["cuts"])[None, :] - eta[:, None])
    y = 1 + (rng.uniform(size=len(group))[:, None] > below).sum(axis=1)
    return pd.DataFrame({"g": [f"g{k:02d}" for k in group], "x1": x[:, 0], "x2": x[:, 1], "y": y})


if __name__ == "__main__":
    df = simulate()
    df.to_csv(ROOT / "tests" / "data" / "ordinal_mixed_sim.csv", index=False, lineterminator="\n")
    print(f"{len(df)} rows written")
