"""Coverage of the multilevel H5 intervals (docs/validation-mediation-survival.md).

    PYTHONPATH=src .venv/bin/python docs/validation/mediation_coverage.py [--reps 200] [--design example]
Each replication draws data with known paths (`synthetic.mediation.simulate_mediation`, on the
in-project simulator's design), fits `multilevel_rows` and records whether each 95% interval
covers the truth. Writes docs/validation/mediation_coverage_<design>.csv (one row per effect).
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from borgingsmonitor.mechanisms.mediation_multilevel import ML_EFFECTS, multilevel_rows
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

hits, estimates, regions = [], [], set()
for rep in range(args.reps):
    data, truth = simulate_mediation(seed=1000 + rep, **DESIGNS[args.design])
    rows = multilevel_rows(data, n_draws=args.draws, seed=rep)
    regions.update(rows["region_effect"])
    t = rows["effect"].map(truth).to_numpy()
    hits.append(((rows["ci_low"] <= t) & (t <= rows["ci_high"])).to_numpy())
    estimates.append(rows["estimate"].to_numpy() - t)
hits, errors = np.array(hits), np.array(estimates)
out = pd.DataFrame(
    {
        "effect": list(ML_EFFECTS),
        "truth": [truth[e] for e in ML_EFFECTS],
        "coverage": hits.mean(axis=0),
        "mc_se_of_coverage": np.sqrt(hits.mean(axis=0) * (1 - hits.mean(axis=0)) / len(hits)),
        "bias": errors.mean(axis=0),
        "reps": len(hits),
        "draws": args.draws,
        "design": args.design,
        "region_effect": "/".join(sorted(regions)),
    }
)
out.to_csv(HERE / f"mediation_coverage_{args.design}.csv", index=False, float_format="%.4f")
print(out.to_string(index=False))
