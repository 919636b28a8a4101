"""Coverage of the multilevel H5 intervals (docs/validation-mediation-survival.md).

    PYTHONPATH=src .venv/bin/python docs/validation/mediation_coverage.py [--reps 200] [--design example]
Each replication draws data with known paths (`synthetic.mediation.simulate_mediation`, on the
in-project simulator's design), fits both paths once and records whether each 95% interval
covers the truth: the intervals `multilevel_rows` reports (t on Satterthwaite df, Monte Carlo
draws with t marginals) in `coverage`, and the normal-reference intervals from the same fits and
the same normal draws (z, joint normal draws; before Amendment 1's df) in `coverage_normal`.
Writes docs/validation/mediation_coverage_<design>.csv (one row per effect).
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from borgingsmonitor.mechanisms.mediation_multilevel import ML_EFFECTS, analysis_frame, effect_rows, fit_paths
from borgingsmonitor.synthetic.mediation import simulate_mediation

HERE = Path(__file__).resolve().parent
DESIGNS = {
    # like the example: 4 regions (region fixed), 26 partnerships, ~1,400 responses
    "example": dict(n_responses=1400, n_regions=4, n_partnerships=26),
    # 12 regions (region random), 80 partnerships, 4,000 responses
    "regions12": dict(n_responses=4000, n_regions=12, n_partnerships=80),
}

parser = argparse.ArgumentParser()
parser.add_argument("--reps", type=int, default=200)
parser.add_argument("--design", default="example", choices=sorted(DESIGNS))
parser.add_argument("--draws", type=int, default=5000)
args = parser.parse_args()


def covers(rows: pd.DataFrame, truth: dict) -> np.ndarray:
    t = rows["effect"].map(truth).to_numpy()
    return ((rows["ci_low"] <= t) & (t <= rows["ci_high"])).to_numpy()


hits, hits_normal, estimates, path_dfs, regions = [], [], [], [], set()
for rep in range(args.reps):
    data, truth = simulate_mediation(seed=1000 + rep, **DESIGNS[args.design])
    frame = analysis_frame(data)
    fits = fit_paths(frame)
    shape = (frame["partnership_id"].nunique(), len(frame), args.draws, rep, 0.95)
    rows = effect_rows(fits, *shape)
    regions.update(rows["region_effect"])
    hits.append(covers(rows, truth))
    hits_normal.append(covers(effect_rows(fits, *shape, normal=True), truth))
    estimates.append(rows["estimate"].to_numpy() - rows["effect"].map(truth).to_numpy())
    path_dfs.append(rows["df"].to_numpy())
hits, hits_normal, errors = np.array(hits), np.array(hits_normal), np.array(estimates)
out = pd.DataFrame(
    {
        "effect": list(ML_EFFECTS),
        "truth": [truth[e] for e in ML_EFFECTS],
        "coverage": hits.mean(axis=0),
        "mc_se_of_coverage": np.sqrt(hits.mean(axis=0) * (1 - hits.mean(axis=0)) / len(hits)),
        "coverage_normal": hits_normal.mean(axis=0),
        "bias": errors.mean(axis=0),
        "median_df": np.median(np.array(path_dfs, dtype=float), axis=0),  # empty (nan) on derived rows
        "reps": len(hits),
        "draws": args.draws,
        "design": args.design,
        "region_effect": "/".join(sorted(regions)),
    }
)
out.to_csv(HERE / f"mediation_coverage_{args.design}.csv", index=False, float_format="%.4f")
print(out.to_string(index=False))
