"""Cross-check of H5 (docs/validation-mediation-survival.md).

    .venv/bin/python docs/validation/mediation_validate.py
1. Point estimates of mediation_table against plain statsmodels OLS formulas on the same rows,
   including the total-effect regression (total = direct + a*b).
2. The fast bootstrap against the naive statsmodels refit loop on the same 100 draws.
3. The table's percentile CI against the CI computed from the naive draws' full set is not
   repeated (2,000 refits take minutes); (2) shows the draws are the same numbers.
Uses results/clean/responses.parquet too when it exists.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from borgingsmonitor.mechanisms import mediation as med
from borgingsmonitor.synthetic.simulate import simulate_clean

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SEED = 20250101


def plain_ols(frame):
    a = smf.ols("REL ~ FAC + PRO + ORG + C(wave)", frame).fit().params["FAC"]
    fit_b = smf.ols("DUR ~ REL + FAC + PRO + ORG + C(wave)", frame).fit()
    total = smf.ols("DUR ~ FAC + PRO + ORG + C(wave)", frame).fit().params["FAC"]
    b, direct = fit_b.params["REL"], fit_b.params["FAC"]
    return {"a": a, "b": b, "direct": direct, "indirect": a * b, "total": total}


datasets = {"simulated_20000": simulate_clean(20000, seed=1)[0]}
clean = ROOT / "results" / "clean" / "responses.parquet"
if clean.exists():
    datasets["pilot"] = pd.read_parquet(clean)
rows = []
for name, data in datasets.items():
    table = med.mediation_table(data, n_boot=2000, seed=SEED).set_index("effect")
    frame = med.analysis_frame(data)
    ols = plain_ols(frame)
    Z, _ = med.design(frame)
    codes, labels = med.cluster_codes(frame)
    S = med.cluster_crossproducts(Z, codes, len(labels))
    draws = med.draw_clusters(len(labels), 100, SEED)
    fast = med.fast_bootstrap(S, med.draw_counts(draws, len(labels)))
    naive = med.naive_bootstrap(frame, draws)
    for j, effect in enumerate(med.EFFECTS):
        rows.append(
            {
                "data": name,
                "effect": effect,
                "estimate": table.loc[effect, "estimate"],
                "statsmodels_ols": ols[effect],
                "abs_diff": abs(table.loc[effect, "estimate"] - ols[effect]),
                "ci_low": table.loc[effect, "ci_low"],
                "ci_high": table.loc[effect, "ci_high"],
                "max_abs_diff_fast_vs_naive_100_draws": float(np.max(np.abs(fast[:, j] - naive[:, j]))),
                "n_obs": len(frame),
                "n_partnerships": len(labels),
            }
        )
out = pd.DataFrame(rows)
out.to_csv(HERE / "mediation_comparison.csv", index=False, float_format="%.10g")
pd.set_option("display.width", 200)
print(out.to_string(index=False))
