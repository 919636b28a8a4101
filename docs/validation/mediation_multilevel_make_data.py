"""Data for the R check of the multilevel H5 mediation (docs/validation-mediation-survival.md).

    PYTHONPATH=src .venv/bin/python docs/validation/mediation_multilevel_make_data.py
Writes results/validation/mediation_{example,simulated}.csv: the complete cases of the analysis
columns (region, partnership, wave and the five scale scores; no personal data). R decomposes
them itself. `example` needs the workflow's results/clean/responses.parquet.
"""

from pathlib import Path

import pandas as pd

from borgingsmonitor.mechanisms.mediation_multilevel import analysis_frame
from borgingsmonitor.synthetic.mediation import simulate_mediation

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "results" / "validation"
COLUMNS = ["region", "partnership_id", "wave", "FAC", "REL", "DUR", "PRO", "ORG"]
SIMULATED = dict(n_responses=1400, n_regions=4, n_partnerships=26, seed=7)  # also in the CI test


def datasets() -> dict:
    out = {"simulated": simulate_mediation(**SIMULATED)[0]}
    clean = ROOT / "results" / "clean" / "responses.parquet"
    if clean.exists():
        out["example"] = pd.read_parquet(clean)
    return out


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in datasets().items():
        analysis_frame(data)[COLUMNS].to_csv(OUT / f"mediation_{name}.csv", index=False, float_format="%.17g")
        print(name, len(analysis_frame(data)))
