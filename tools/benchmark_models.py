"""Time the nested random-intercept model: sufficient statistics + exact fit vs statsmodels MixedLM.

    /work/main/.venv/bin/python tools/benchmark_models.py [--sizes 20000 200000 1000000] [--quick]
        [--max-statsmodels 200000] [--method REML] [--seed 1] [--json out.json]

For each size: simulate the clean data set (borgingsmonitor.synthetic.simulate, seeded), fit
`DUR ~ REL + FAC + PRO + ORG + C(wave)` with random intercepts for region and partnership with
borgingsmonitor.models.nested_lmm (timed end to end: listwise deletion, design matrix, one pass for the
per-partnership statistics, REML/ML fit) and with statsmodels MixedLM on the same complete rows
(groups=region, vc_formula partnership), in the same run, and report the ratio and whether the
estimates agree. statsmodels is skipped above --max-statsmodels rows. A CLI tool, not a rule.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

import numpy as np
import pandas as pd

from borgingsmonitor.models import nested_lmm as nl
from borgingsmonitor.synthetic.simulate import simulate_clean

FORMULA = "DUR ~ REL + FAC + PRO + ORG + C(wave)"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000, 1_000_000])
    p.add_argument("--quick", action="store_true", help="only 20000 rows (and statsmodels on it)")
    p.add_argument("--max-statsmodels", type=int, default=200_000)
    p.add_argument("--method", choices=nl.METHODS, default="REML")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", help="also write the figures to this JSON file")
    return p.parse_args(argv)


def time_ours(df, method):
    t0 = time.perf_counter()
    res = nl.fit_nested_lmm(FORMULA, df, method=method)
    total = time.perf_counter() - t0
    complete = df.dropna(subset=["DUR", "REL", "FAC", "PRO", "ORG", "wave", "region", "partnership_id"])
    import patsy

    y, X = patsy.dmatrices(FORMULA, complete.assign(wave=complete["wave"].astype("category")), return_type="dataframe")
    t1 = time.perf_counter()
    stats = nl.partnership_stats(
        y.iloc[:, 0].to_numpy(), X, complete["region"].to_numpy(), complete["partnership_id"].to_numpy()
    )
    t2 = time.perf_counter()
    nl.fit_from_stats(stats, method)
    t3 = time.perf_counter()
    return res, {"total_s": total, "stats_pass_s": t2 - t1, "fit_from_stats_s": t3 - t2}


def time_statsmodels(df, method):
    import statsmodels.formula.api as smf

    complete = df.dropna(subset=["DUR", "REL", "FAC", "PRO", "ORG"])
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = smf.mixedlm(
            FORMULA,
            complete,
            groups="region",
            re_formula="1",
            vc_formula={"partnership": "0 + C(partnership_id)"},
        )
        res = model.fit(reml=method == "REML")
    seconds = time.perf_counter() - t0
    convergence_warnings = sorted(
        {type(w.message).__name__ for w in caught if "Convergence" in type(w.message).__name__}
    )
    return res, model, seconds, convergence_warnings


def statsmodels_loglik_at(model, ours):
    """statsmodels' own log-likelihood evaluated at our estimate (ratios, profiled scale)."""
    from statsmodels.regression.mixed_linear_model import MixedLMParams

    params = MixedLMParams.from_components(
        fe_params=ours.params[model.exog_names].to_numpy(),
        cov_re=np.array([[ours.ratios["region"]]]),
        vcomp=np.array([ours.ratios["partnership"]]),
    )
    return float(model.loglike(params, profile_fe=False))


def compare(ours, sm):
    fe = sm.fe_params[ours.params.index]
    s2 = {
        "region": float(sm.cov_re.iloc[0, 0]),
        "partnership": float(sm.vcomp[0]),
        "residual": float(sm.scale),
    }
    out = {
        "max_abs_diff_fixed": float(np.max(np.abs(ours.params - fe))),
        "max_rel_diff_sigma2": float(max(abs(ours.sigma2[k] - s2[k]) / max(abs(ours.sigma2[k]), 1e-12) for k in s2)),
        "loglik_ours_minus_statsmodels": float(ours.loglik - sm.llf),
        "statsmodels_sigma2": s2,
    }
    out["agree"] = out["max_abs_diff_fixed"] < 1e-4 and out["max_rel_diff_sigma2"] < 1e-2
    return out


def main(argv=None):
    args = parse_args(argv)
    sizes = [20_000] if args.quick else args.sizes
    rows = []
    for n in sizes:
        t0 = time.perf_counter()
        df, truth = simulate_clean(n, seed=args.seed)
        sim_s = time.perf_counter() - t0
        ours, t = time_ours(df, args.method)
        row = {
            "n_rows": n,
            "n_obs": ours.n_obs,
            "simulate_s": round(sim_s, 3),
            "ours_total_s": round(t["total_s"], 3),
            "ours_stats_pass_s": round(t["stats_pass_s"], 3),
            "ours_fit_from_stats_s": round(t["fit_from_stats_s"], 4),
            "ours_converged": ours.converged,
            "ours_sigma2": {k: round(v, 6) for k, v in ours.sigma2.items()},
            "ours_effects": {c: round(float(ours.params[c]), 5) for c in ("REL", "FAC", "PRO", "ORG")},
        }
        print(
            f"n={n:>9,}: ours {t['total_s']:.2f} s (stats pass {t['stats_pass_s']:.2f} s, fit {t['fit_from_stats_s']:.3f} s), converged={ours.converged}",
            flush=True,
        )
        if n <= args.max_statsmodels:
            sm, model, sm_s, warns = time_statsmodels(df, args.method)
            row["statsmodels_loglik_at_ours_minus_at_its_own"] = statsmodels_loglik_at(model, ours) - float(sm.llf)
            # by statsmodels' own likelihood, our estimate is at least as good as its optimum
            row["ours_at_least_as_good"] = row["statsmodels_loglik_at_ours_minus_at_its_own"] > -1e-6
            row.update(
                statsmodels_s=round(sm_s, 2),
                ratio_statsmodels_over_ours=round(sm_s / t["total_s"], 1),
                statsmodels_converged=bool(sm.converged),
                statsmodels_warnings=warns,
                **compare(ours, sm),
            )
            print(
                f"              statsmodels {sm_s:.1f} s (x{sm_s / t['total_s']:.0f}), converged={sm.converged}, warnings={warns}, "
                f"agree={row['agree']} (max |diff| fixed {row['max_abs_diff_fixed']:.2e}, max rel diff variances "
                f"{row['max_rel_diff_sigma2']:.2e}, loglik ours - statsmodels {row['loglik_ours_minus_statsmodels']:.2e}; "
                f"statsmodels' own loglik at our estimate minus at its own {row['statsmodels_loglik_at_ours_minus_at_its_own']:.2e}, "
                f"ours at least as good: {row['ours_at_least_as_good']})",
                flush=True,
            )
        else:
            print(
                f"              statsmodels skipped: {n:,} rows > --max-statsmodels {args.max_statsmodels:,}",
                flush=True,
            )
            row["statsmodels_s"] = None
        rows.append(row)
    print(
        pd.DataFrame(rows)
        .drop(columns=["ours_sigma2", "ours_effects", "statsmodels_sigma2"], errors="ignore")
        .to_string(index=False)
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(
                {"method": args.method, "seed": args.seed, "formula": FORMULA, "rows": rows},
                fh,
                indent=2,
                default=str,
            )
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
