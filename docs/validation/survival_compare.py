"""Compare our H7 estimates with R's (run survival_make_data.py, then survival_validate.R)."""

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
py = pd.read_csv(HERE / "survival_python.csv")
r = pd.read_csv(HERE / "survival_r.csv")
pairs = [
    ("discrete_hazard_ml", "r_glm_ml"),
    ("discrete_hazard", "r_brglm2_firth"),
    ("discrete_hazard_interaction", "r_brglm2_firth_interaction"),
    ("discrete_hazard", "r_coxph_efron"),
    ("discrete_hazard", "r_cloglog_year"),
    ("discrete_hazard_ml", "r_logit_year"),
]
rows = []
for ours, theirs in pairs:
    a = py[py["model"] == ours].set_index(["data", "term"])
    b = r[r["model"] == theirs].set_index(["data", "term"])
    both = a[["estimate", "std_error"]].join(b[["estimate", "std_error"]], rsuffix="_r", how="inner").dropna()
    for (data, term), x in both.iterrows():
        rows.append(
            {
                "data": data,
                "ours": ours,
                "r": theirs,
                "term": term,
                "estimate": x["estimate"],
                "estimate_r": x["estimate_r"],
                "abs_diff": abs(x["estimate"] - x["estimate_r"]),
                "se": x["std_error"],
                "se_r": x["std_error_r"],
                "se_abs_diff": abs(x["std_error"] - x["std_error_r"]),
            }
        )
table = pd.DataFrame(rows)
table.to_csv(HERE / "survival_comparison.csv", index=False, float_format="%.8g")
pd.set_option("display.width", 200)
print(table.to_string(index=False))
