"""Compare our age-scale H7 estimates with R's (after survival_age_make_data.py and survival_age_validate.R).

Writes docs/validation/survival_age_comparison.csv and the CI reference tests/data/survival_age_r_reference.json
(R's Efron Cox estimates and survfit curves; tests/test_survival_r_reference.py checks them without R).
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
from survival_age_make_data import SIM

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parents[1] / "tests/data/survival_age_r_reference.json"


def split_term(term: str) -> tuple[str, int]:
    stratum, _, t = term.partition(";t=")
    return stratum, int(t)


def main() -> None:
    ours = pd.read_csv(HERE / "survival_age_python.csv")
    r = json.loads((HERE / "survival_age_r.json").read_text())
    cox_r = pd.DataFrame(r["cox"])
    cox_r = cox_r[cox_r["ties"] == "efron"]
    cox = ours[ours["model"].str.startswith("cox_")].merge(cox_r, on=["data", "model", "term"], suffixes=("", "_r"))
    km = ours[ours["model"] == "kaplan_meier"].copy()
    km[["stratum", "t"]] = km["term"].map(split_term).tolist()
    km = km.merge(pd.DataFrame(r["km"]), on=["data", "stratum", "t"], suffixes=("", "_r"))
    rows = []
    for x in cox.itertuples(index=False):
        for what in ("estimate", "std_error"):
            rows.append(
                {
                    "data": x.data,
                    "what": f"{x.model} {x.term} {what}",
                    "python": getattr(x, what),
                    "r": getattr(x, what + "_r") if getattr(x, what + "_r") else np.nan,
                }
            )
    for x in km.itertuples(index=False):
        for what in ("estimate", "ci_low", "ci_high", "n_at_risk"):
            rows.append(
                {
                    "data": x.data,
                    "what": f"KM {x.stratum} age {x.t} {what}",
                    "python": getattr(x, what),
                    "r": getattr(x, what + "_r"),
                }
            )
    table = pd.DataFrame(rows)
    table["abs_diff"] = (table["python"] - table["r"]).abs()
    table.to_csv(HERE / "survival_age_comparison.csv", index=False, float_format="%.10g")
    print(table.groupby(["data", table["what"].str.split().str[0]])["abs_diff"].agg(["count", "max"]))
    print(
        "both missing (not estimable in both):",
        int((table["python"].isna() & table["r"].isna()).sum()),
        "; missing in one only:",
        int((table["python"].isna() ^ table["r"].isna()).sum()),
    )
    r["cox"] = [c for c in r["cox"] if c["ties"] == "efron"]
    r["simulation"] = SIM  # so the CI test rebuilds the same data without this script
    REFERENCE.write_text(json.dumps(r, indent=1) + "\n")


if __name__ == "__main__":
    main()
