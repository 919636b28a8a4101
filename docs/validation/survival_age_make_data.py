"""H7 on the age scale: write the (start, stop] rows and our estimates for the R cross-check.

    PYTHONPATH=src .venv/bin/python docs/validation/survival_age_make_data.py
    Rscript docs/validation/survival_age_validate.R
    PYTHONPATH=src .venv/bin/python docs/validation/survival_age_compare.py

Data sets: `example` (data/example registry and results/clean/responses.parquet: run the pipeline
first), `sim` (simulated, known truth, interaction present) and `sim_equal_funding` (the same
partnerships with every funding period 4 years long, so funding_ended is a function of age).
"""

from pathlib import Path

import pandas as pd

from borgingsmonitor.core.registry import load_registry
from borgingsmonitor.core.responses import read_responses
from borgingsmonitor.mechanisms import survival as sv
from borgingsmonitor.synthetic.survival import SCALE, simulate_survival

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SIM = {"n_partnerships": 400, "seed": 11, "effects": {"conditions:funding_ended": -0.8}}


def datasets() -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    registry, responses, _ = simulate_survival(**SIM)
    equal = registry.assign(funding_end_year=registry["start_year"] + 4)
    out = {"sim": (registry, responses), "sim_equal_funding": (equal, responses)}
    clean = ROOT / "results/clean/responses.parquet"
    if clean.exists():
        out["example"] = (load_registry(ROOT / "data/example/registry/partnerships.csv"), read_responses(clean))
    return out


def rows_for_r(registry: pd.DataFrame, responses: pd.DataFrame) -> pd.DataFrame:
    """Every at-risk year with the composite standardised over the surveyed years (as cox_models does)."""
    years = sv.at_risk_years(registry, responses)
    surveyed = years["surveyed"]
    raw = years.loc[surveyed, "conditions_raw"]
    years["conditions"] = (years["conditions_raw"] - raw.mean()) / raw.std(ddof=1)
    return years[["partnership_id", "start", "stop", "event", "funding_ended", "surveyed", "conditions"]]


def main() -> None:
    results = []
    for name, (registry, responses) in datasets().items():
        rows = rows_for_r(registry, responses)
        if name == "example":  # partnership means of real-shaped data stay out of the repository
            rows["conditions"] = float("nan")
        rows.to_csv(HERE / f"survival_age_rows_{name}.csv", index=False, float_format="%.17g")
        table = sv.survival_table(registry, responses)
        results.append(table[table["model"].str.startswith(("cox_", "kaplan_meier"))].assign(data=name))
    out = pd.concat(results, ignore_index=True)
    out.to_csv(HERE / "survival_age_python.csv", index=False, float_format="%.17g")
    _, _, truth = simulate_survival(**SIM)
    print(f"truth per unit of c (composite = 3.5 + {SCALE:.1f} c):", truth)


if __name__ == "__main__":
    main()
