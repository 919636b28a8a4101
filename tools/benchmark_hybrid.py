"""Time the declared hybrid model (conditions_hybrid) at national scale.

    PYTHONPATH=src python tools/benchmark_hybrid.py [--sizes 1000000] [--regions 40 4]
        [--ddf satterthwaite kenward_roger] [--json out.json]

Simulates the clean data set (40 regions x 320 partnerships x 7 waves by default, with a
partnership-within-wave variance) and times `declared.fit_declared` end to end: complete rows,
partnership means and deviations, design matrix, one pass for the per-(partnership, wave) cell
statistics, the REML fit over every boundary face, and the df (Satterthwaite, or Kenward-Roger's
adjusted covariance and df; each `--ddf` is timed on the same data) (wall and CPU
seconds: on a shared machine the CPU time is the cost of the fit itself). With 40 regions
`auto` makes region random; with 4, fixed. A CLI tool, not a rule.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import yaml

from borgingsmonitor.models import declared
from borgingsmonitor.synthetic.simulate import simulate_clean

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    p.add_argument("--regions", type=int, nargs="+", default=[40, 4])
    p.add_argument("--ddf", nargs="+", default=["satterthwaite"], choices=["satterthwaite", "kenward_roger"])
    p.add_argument("--json")
    args = p.parse_args(argv)
    models = yaml.safe_load((ROOT / "config/config.yaml").read_text())["models"]
    spec = next(m for m in models if m["name"] == "conditions_hybrid")
    out = []
    for n in args.sizes:
        for regions in args.regions:
            frame, _ = simulate_clean(
                n, n_regions=regions, n_partnerships=320, seed=1, sigma2={"partnership_wave": 0.02}
            )
            for ddf in args.ddf:
                row = {"n": n, "regions": regions, "ddf": ddf, **timed({**spec, "ddf": ddf}, frame)}
                print(row, flush=True)
                out.append(row)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")


def timed(spec: dict, frame) -> dict:
    start, cpu = time.perf_counter(), time.process_time()
    table = declared.fit_declared(spec, frame)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "n_obs": int(table["n_obs"].iloc[0]),
        "method": table["method"].iloc[0],
    }


if __name__ == "__main__":
    main()
