"""Compare the multilevel H5 mediation with lme4 (docs/validation-mediation-survival.md).

    PYTHONPATH=src:docs/validation .venv/bin/python docs/validation/mediation_multilevel_compare.py
after mediation_multilevel_make_data.py and `Rscript docs/validation/mediation_multilevel.R 20000`.
Fits the same CSVs with `multilevel_rows`, writes docs/validation/mediation_multilevel_comparison.csv
and the reference tests/data/mediation_multilevel_lme4.json (R's numbers; the CI test refits the
simulated data set without R).
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
from mediation_multilevel_make_data import SIMULATED

from borgingsmonitor.mechanisms import mediation_multilevel as mm

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATA = ROOT / "results" / "validation"
N_DRAWS = 20000

r = pd.read_csv(DATA / "mediation_r.csv")
rows, reference = [], {}
for name, r_part in r.groupby("data", sort=False):
    data = pd.read_csv(DATA / f"mediation_{name}.csv")
    ours = mm.multilevel_rows(data, n_draws=N_DRAWS).set_index("effect")
    fits = mm.fit_paths(mm.analysis_frame(data))
    sigma2 = {f"sigma2_{m}_{k}": v for m in "ab" for k, v in fits[m].sigma2.items()}
    rename = {
        "sigma2_a_pw": "sigma2_a_partnership",
        "sigma2_a_partnership_id": "sigma2_a_region",
        "sigma2_b_pw": "sigma2_b_partnership",
        "sigma2_b_partnership_id": "sigma2_b_region",
        "sigma2_a_Residual": "sigma2_a_residual",
        "sigma2_b_Residual": "sigma2_b_residual",
    }
    for row in r_part.itertuples(index=False):
        eff = row.effect
        mine = sigma2[rename[eff]] if eff.startswith("sigma2") else ours.loc[eff, "estimate"]
        out = {"data": name, "effect": eff, "python": mine, "r": row.estimate, "abs_diff": abs(mine - row.estimate)}
        if not eff.startswith("sigma2"):
            out.update(
                python_se=ours.loc[eff, "std_error"],
                r_se=row.std_error,
                abs_diff_se=abs(ours.loc[eff, "std_error"] - row.std_error),
                python_ci=f"[{ours.loc[eff, 'ci_low']:.5f}, {ours.loc[eff, 'ci_high']:.5f}]",
                r_ci="" if pd.isna(row.ci_low) else f"[{row.ci_low:.5f}, {row.ci_high:.5f}]",
            )
        if eff in mm.PATH_EFFECTS:
            out.update(
                python_df=ours.loc[eff, "df"],
                r_df=row.df,
                rel_diff_df=abs(ours.loc[eff, "df"] / row.df - 1),
                python_p=ours.loc[eff, "p_value"],
                r_p=row.p_value,
                abs_diff_p=abs(ours.loc[eff, "p_value"] - row.p_value),
                abs_diff_ci=max(abs(ours.loc[eff, "ci_low"] - row.ci_low), abs(ours.loc[eff, "ci_high"] - row.ci_high)),
            )
        if eff.startswith("indirect"):
            lv = eff.split("_")[1]
            a, b = ours.loc[f"a_{lv}"], ours.loc[f"b_{lv}"]
            # the draws are scaled t's on the paths' df: variance se^2 df / (df - 2)
            va, vb = (r.std_error**2 * r.df / (r.df - 2) for r in (a, b))
            out["exact_sd"] = np.sqrt(a.estimate**2 * vb + b.estimate**2 * va + va * vb)
        rows.append(out)
    paths = r_part[r_part["effect"].isin(mm.PATH_EFFECTS)]
    reference[name] = {
        "estimate": dict(zip(paths["effect"], paths["estimate"])),
        "std_error": dict(zip(paths["effect"], paths["std_error"])),
        "df": dict(zip(paths["effect"], paths["df"])),
        "p_value": dict(zip(paths["effect"], paths["p_value"])),
        "n_obs": int(len(data)),
    }
table = pd.DataFrame(rows)
table.to_csv(HERE / "mediation_multilevel_comparison.csv", index=False, float_format="%.3g")
meta = {
    "software": "R 4.2.2, lme4 1.1.31, lmerTest 3.1.3 (lmer REML, bobyqa rhoend 1e-12; Satterthwaite df)",
    "script": "docs/validation/mediation_multilevel.R",
    "datasets": reference,
    "simulate_mediation": SIMULATED,
}
# the example's clean data are not in the repository; only the simulated reference is checked in CI
meta["datasets"] = {k: v for k, v in reference.items() if k == "simulated"}
(ROOT / "tests" / "data" / "mediation_multilevel_lme4.json").write_text(
    json.dumps(meta, indent=1, sort_keys=True) + "\n"
)
pd.set_option("display.width", 220)
print(table.to_string(index=False))
paths = table[table["effect"].isin(mm.PATH_EFFECTS)]
print(
    "max abs diff paths:",
    paths["abs_diff"].max(),
    "SEs:",
    paths["abs_diff_se"].max(),
    "variances:",
    table[table["effect"].str.startswith("sigma2")]["abs_diff"].max(),
)
print(
    "paths: max rel diff df:",
    paths["rel_diff_df"].max(),
    "max abs diff p:",
    paths["abs_diff_p"].max(),
    "max abs diff t CI bounds:",
    paths["abs_diff_ci"].max(),
)
print(
    "max abs diff indirect (MC, different RNG):", table[table["effect"].str.startswith("indirect")]["abs_diff_se"].max()
)
