"""Coverage of the hybrid model's 95% CIs on the in-project simulator (protocol Amendment 1).

    PYTHONPATH=src python tools/coverage_hybrid.py [--reps 200] [--seed 2026] [--design example|regions12]
        [--ddf satterthwaite|kenward_roger] [--json out.json]

Each replication draws a clean data set with `borgingsmonitor.synthetic.simulate.simulate_clean`
(seed = --seed + replication; DUR drawn directly from the model, `dur_from_items=False`, so the
truth is exact), fits the declared `conditions_hybrid` model (config/config.yaml) and records
whether each between effect's 95% interval (t on Satterthwaite df, or with `--ddf kenward_roger`
Kenward-Roger's adjusted SE and df) covers the true effect.
The simulator's durability depends on the observed condition scores with one coefficient and
partnership effects independent of them, so the true between and within effects both equal
`effects[c]`. Designs: `example` is the example's shape (4 regions, so region fixed; 26
partnerships; 3 waves; ~1,400 responses), `regions12` has 12 regions (region random). A CLI tool,
not a rule. The target is 93-97% per effect (Monte Carlo SE with 200 replications: 1.5 points).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

from borgingsmonitor.models import declared
from borgingsmonitor.synthetic.simulate import simulate_clean

ROOT = Path(__file__).resolve().parents[1]
DESIGNS = {
    "example": dict(n_responses=1400, n_regions=4, n_partnerships=26, waves=(2023, 2024, 2025)),
    "regions12": dict(n_responses=2400, n_regions=12, n_partnerships=48, waves=(2023, 2024, 2025)),
}
SIGMA2 = {"region": 0.03, "partnership": 0.04, "partnership_wave": 0.017, "residual": 0.33}
TERMS = ("REL", "FAC", "PRO", "ORG")


def hybrid_spec() -> dict:
    models = yaml.safe_load((ROOT / "config/config.yaml").read_text())["models"]
    return next(m for m in models if m["name"] == "conditions_hybrid")


def one(spec: dict, design: dict, seed: int) -> dict:
    frame, truth = simulate_clean(**design, seed=seed, sigma2=SIGMA2, dur_from_items=False)
    table = declared.fit_declared(spec, frame).set_index("term")
    variances = table[table.index.str.startswith("var_")]["estimate"]
    out = {"singular": bool((variances == 0).any())}
    for c in TERMS:
        for part in ("between", "within"):
            row = table.loc[f"{c}_{part}"]
            out[f"{c}_{part}"] = bool(row.ci_low <= truth["effects"][c] <= row.ci_high)
            out[f"{c}_{part}_est"] = float(row.estimate)
            out[f"{c}_{part}_df"] = float(row.df)
    return out


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=200)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--design", choices=sorted(DESIGNS), default="example")
    p.add_argument("--ddf", choices=["satterthwaite", "kenward_roger"], default="satterthwaite")
    p.add_argument("--json", help="also write the result to this JSON file")
    args = p.parse_args(argv)
    spec = {**hybrid_spec(), "ddf": args.ddf}
    start = time.perf_counter()
    runs = pd.DataFrame([one(spec, DESIGNS[args.design], args.seed + r) for r in range(args.reps)])
    singular = runs[runs["singular"]]
    result = {
        "design": args.design,
        "reps": args.reps,
        "seed": args.seed,
        "ddf": args.ddf,
        "sigma2": SIGMA2,
        "coverage": {t: float(runs[t].mean()) for t in runs.columns if t.endswith(("_between", "_within"))},
        "share_singular": float(runs["singular"].mean()),
        "coverage_between_when_singular": {
            c: float(singular[f"{c}_between"].mean()) if len(singular) else None for c in TERMS
        },
        "mean_estimate": {t[:-4]: float(runs[t].mean()) for t in runs.columns if t.endswith("_est")},
        "median_df": {t[:-3]: float(runs[t].median()) for t in runs.columns if t.endswith("_df")},
        "seconds": round(time.perf_counter() - start, 1),
    }
    between = [result["coverage"][f"{c}_between"] for c in TERMS]
    result["between_in_93_97"] = bool(all(0.93 <= v <= 0.97 for v in between))
    json.dump(result, sys.stdout, indent=1)
    print()
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    main()
