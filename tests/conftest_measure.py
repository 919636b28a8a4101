"""Seeded synthetic clean data of the shape of results/clean/responses.parquet (measurement tests).

Not a pytest conftest (the name keeps it out of the shared tests/conftest.py); test modules
import `simulate_responses` from here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.core.scales import score_scales

ROOT = Path(__file__).resolve().parents[1]
QUESTIONNAIRE = ROOT / "config" / "questionnaire.yaml"
REGIONS = {"helmond": "HEL", "noord-west-veluwe": "NWV", "den-bosch": "DBO", "west-brabant": "WBR"}
ROLES = ["Docent", "Teamleider", "Directie/bestuur", "Verbinder/coördinator"]
ORG_TYPES = ["vmbo", "mbo", "bedrijfsleven"]
PHASES = ["Verkenning", "Opstart", "Uitvoering", "Netwerkdip", "Borging"]
FACTOR_CORR = np.array([
    [1.0, 0.5, 0.5, 0.4, 0.5],
    [0.5, 1.0, 0.4, 0.4, 0.4],
    [0.5, 0.4, 1.0, 0.4, 0.4],
    [0.4, 0.4, 0.4, 1.0, 0.5],
    [0.5, 0.4, 0.4, 0.5, 1.0],
])


def simulate_responses(n_per_region_wave: int = 120, seed: int = 20240917, missing_rate: float = 0.04,
                       partnerships_per_region: int = 6) -> pd.DataFrame:
    """One row per response; Likert items as answered (reverse items NOT reversed), scores added."""
    rng = np.random.default_rng(seed)
    q = load_questionnaire(QUESTIONNAIRE)
    scales = list(q.scales)
    region_eff = {r: rng.normal(0, 0.25, len(scales)) for r in REGIONS}
    partnerships = {r: [f"{p}-{i:02d}" for i in range(1, partnerships_per_region + 1)] for r, p in REGIONS.items()}
    start = {pid: int(rng.integers(2017, 2024)) for ps in partnerships.values() for pid in ps}
    part_eff = {pid: rng.normal(0, 0.35, len(scales)) for pid in start}
    chol = np.linalg.cholesky(FACTOR_CORR)
    loadings = {code: rng.uniform(0.55, 0.85) for code in q.item_codes}
    rows = []
    for region in REGIONS:
        for wave in (2023, 2024, 2025):
            for i in range(n_per_region_wave):
                pid = partnerships[region][int(rng.integers(0, partnerships_per_region))]
                eta = chol @ rng.normal(size=len(scales)) + region_eff[region] + part_eff[pid]
                row = {"respondent_key": f"k{rng.integers(0, 16**12):012x}", "region": region,
                       "partnership_id": pid, "wave": wave, "source_file": f"{region}/{wave}.csv",
                       "source_row": i, "role": ROLES[int(rng.integers(0, 4))],
                       "org_type": ORG_TYPES[int(rng.choice(3, p=[0.45, 0.45, 0.10]))],
                       "phase": PHASES[int(rng.integers(0, 5))], "years_involved": float(rng.integers(0, 8)),
                       "fac_hours": float(np.round(rng.gamma(2, 1.5), 1))}
                for item in q.items:
                    latent = eta[scales.index(item.scale)]
                    x = 3.4 + loadings[item.code] * latent + rng.normal(0, np.sqrt(1 - loadings[item.code] ** 2))
                    x = int(np.clip(np.rint(x), 1, 5))
                    row[item.code] = 6 - x if item.reverse else x
                row["partnership_age"] = wave - start[pid]
                row["comment"] = ""
                rows.append(row)
    df = pd.DataFrame(rows)
    mask = rng.random((len(df), len(q.item_codes))) < missing_rate
    for j, code in enumerate(q.item_codes):
        df[code] = df[code].astype("Int64").mask(mask[:, j])
    df["wave"] = df["wave"].astype("int64")
    df["partnership_age"] = df["partnership_age"].astype("Int64")
    return score_scales(df, q)
