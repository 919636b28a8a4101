"""Partnership-years for the H7 cross-check in R (docs/validation-mediation-survival.md).

    .venv/bin/python docs/validation/survival_make_data.py
Writes survival_py_{large,sparse}.csv (the exact rows our hazard model uses) and
survival_python.csv (our estimates on them).
"""

from pathlib import Path

import pandas as pd

from borgingsmonitor.mechanisms.survival import discrete_hazard, partnership_years
from borgingsmonitor.synthetic.simulate import simulate_clean, simulate_registry

HERE = Path(__file__).resolve().parent

data, _ = simulate_clean(20000, seed=1)
registry = simulate_registry(seed=1)
large = partnership_years(registry, data)
# a pilot-sized set: 28 partnerships, few stops
keep = sorted(large["partnership_id"].unique())[:40]
sparse_reg = registry[registry["partnership_id"].isin(keep)]
sparse = partnership_years(sparse_reg, data[data["partnership_id"].isin(keep)])
out = []
for name, py in [("large", large), ("sparse", sparse)]:
    py.to_csv(HERE / f"survival_py_{name}.csv", index=False, float_format="%.17g")
    rows = discrete_hazard(py)
    rows.insert(0, "data", name)
    out.append(rows)
    print(
        name,
        len(py),
        "partnership-years,",
        py["partnership_id"].nunique(),
        "partnerships,",
        int(py["event"].sum()),
        "stops",
    )
pd.concat(out).to_csv(HERE / "survival_python.csv", index=False, float_format="%.10g")
