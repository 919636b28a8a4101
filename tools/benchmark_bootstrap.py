"""Time the mechanism analyses at given sizes and compare the bootstrap with the naive loop.

    .venv/bin/python tools/benchmark_bootstrap.py --sizes 20000 200000

Data come from borgingsmonitor.synthetic.simulate (seeded). The naive baseline refits statsmodels OLS on
the rebuilt resample for every draw; it is timed on --naive-draws resamples (same draws as the
fast path) and extrapolated linearly to --n-boot, which the output says.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from borgingsmonitor.mechanisms import mediation as med
from borgingsmonitor.mechanisms.network_dip import network_dip
from borgingsmonitor.mechanisms.survival import survival_table
from borgingsmonitor.synthetic.simulate import simulate_clean, simulate_registry


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def bench(n: int, n_boot: int, naive_draws: int, seed: int, n_partnerships: int) -> dict:
    data, _ = simulate_clean(n, n_partnerships=n_partnerships, seed=seed)
    registry = simulate_registry(n_partnerships=n_partnerships, seed=seed)
    t = {}
    frame, t["prepare"] = timed(med.analysis_frame, data)
    (Z, _), t["design"] = timed(med.design, frame)
    codes, labels = med.cluster_codes(frame)
    S, t["stats pass"] = timed(med.cluster_crossproducts, Z, codes, len(labels))
    _, t["mediation point estimates"] = timed(med.ols_point_estimates, frame)
    draws = med.draw_clusters(len(labels), n_boot, seed)
    counts = med.draw_counts(draws, len(labels))
    boot, t["bootstrap"] = timed(med.fast_bootstrap, S, counts)
    naive, t_naive = timed(med.naive_bootstrap, frame, draws[:naive_draws])
    max_diff = float(np.max(np.abs(naive - boot[:naive_draws])))
    _, t["mediation table (all steps)"] = timed(med.mediation_table, data, n_boot, seed)
    _, t["network dip fit (2 ML mixed models)"] = timed(network_dip, data)
    _, t["survival fit (Firth + ML + KM)"] = timed(survival_table, registry, data)
    return {"n": len(frame), "partnerships": len(labels), "times": t, "naive": t_naive, "max_diff": max_diff}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20000, 200000])
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--naive-draws", type=int, default=20)
    parser.add_argument("--partnerships", type=int, default=320)
    parser.add_argument("--seed", type=int, default=20250101)
    args = parser.parse_args(argv)
    for n in args.sizes:
        r = bench(n, args.n_boot, args.naive_draws, args.seed, args.partnerships)
        print(f"\n== {n} simulated responses ({r['n']} complete, {r['partnerships']} partnerships) ==")
        for step, sec in r["times"].items():
            print(f"{step:40s} {sec:9.3f} s")
        naive_full = r["naive"] / args.naive_draws * args.n_boot
        fast = r["times"]["stats pass"] + r["times"]["bootstrap"]
        print(
            f"naive loop: {args.naive_draws} resamples took {r['naive']:.3f} s; extrapolated linearly "
            f"to {args.n_boot} resamples: {naive_full:.1f} s"
        )
        print(
            f"fast bootstrap ({args.n_boot} resamples incl. stats pass): {fast:.3f} s; "
            f"speed-up vs naive: {naive_full / fast:,.0f}x"
        )
        print(f"max |fast - naive| over the {args.naive_draws} shared draws: {r['max_diff']:.2e}")


if __name__ == "__main__":
    main()
