"""Seeded synthetic data of the clean responses' shape, with known model effects (models tests).

DUR is drawn from the linear mixed model DUR = 3 + TRUE_BETA . conditions + wave + u_region +
u_partnership + e, on the observed REL..ORG scale scores, so the mixed model's truth is exact. The
three durability items are drawn from a cumulative-logit model on the same conditions with
TRUE_ORDINAL_BETA and TRUE_CUTS (no random effect, so the population-average truth is exact).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCALE_ITEMS = {
    "REL": ["rel_know", "rel_trust", "rel_goodwill", "rel_levels", "rel_reciprocity", "rel_distant"],
    "FAC": ["fac_time", "fac_resources", "fac_devroom", "fac_meeting"],
    "PRO": ["pro_celebrate", "pro_failure", "pro_impact", "pro_shared"],
    "ORG": ["org_strategy", "org_culture", "org_structure"],
    "DUR": ["dur_continue", "dur_embedded", "dur_commitment"],
}
REVERSE = {"rel_distant"}
CONDITIONS = ["REL", "FAC", "PRO", "ORG"]
TRUE_BETA = {"REL": 0.30, "FAC": 0.20, "PRO": 0.10, "ORG": 0.25}
TRUE_WAVE = {2023: 0.0, 2024: 0.10, 2025: -0.05}
TRUE_SIGMA2 = {"region": 0.04, "partnership": 0.06, "residual": 0.25}
TRUE_ORDINAL_BETA = {"REL": 0.9, "FAC": 0.5, "PRO": 0.0, "ORG": 0.7}
TRUE_CUTS = [4.0, 5.5, 7.0, 8.5]
REGIONS = ["den-bosch", "helmond", "noord-west-veluwe", "west-brabant", "achterhoek", "twente"]


def simulate_clean(
    seed: int = 1,
    n_regions: int = 6,
    partnerships_per_region: int = 8,
    respondents: int = 12,
    waves=(2023, 2024, 2025),
    sigma2: dict | None = None,
    missing_rate: float = 0.0,
) -> pd.DataFrame:
    """One row per response, columns as results/clean/responses.parquet."""
    rng = np.random.default_rng(seed)
    sigma2 = sigma2 or TRUE_SIGMA2
    rows = []
    u_region = {r: rng.normal(0, np.sqrt(sigma2["region"])) for r in REGIONS[:n_regions]}
    for region in REGIONS[:n_regions]:
        for p in range(partnerships_per_region):
            pid = f"{region[:3].upper()}-{p + 1:02d}"
            u_part = rng.normal(0, np.sqrt(sigma2["partnership"]))
            level = rng.normal(0, 0.4, size=4)
            start = int(rng.integers(2018, 2023))
            for wave in waves:
                for i in range(respondents):
                    rows.append((region, pid, wave, start, u_region[region] + u_part, level, i))
    n = len(rows)
    common = rng.normal(0, 0.5, size=n)
    frame = {
        "respondent_key": [f"k{idx:06d}" for idx in range(n)],
        "region": pd.array([r[0] for r in rows], dtype="string"),
        "partnership_id": pd.array([r[1] for r in rows], dtype="string"),
        "wave": np.array([r[2] for r in rows], dtype="int64"),
        "source_file": pd.array([f"{r[0]}/{r[2]}.csv" for r in rows], dtype="string"),
        "source_row": np.array([r[6] for r in rows], dtype="int64"),
        "role": pd.array(rng.choice(["Docent", "Teamleider", "Directie/bestuur"], n), dtype="string"),
        "org_type": pd.array(rng.choice(["vmbo", "mbo", "bedrijfsleven"], n), dtype="string"),
        "phase": pd.array(rng.choice(["Opstart", "Uitvoering", "Borging"], n), dtype="string"),
        "years_involved": pd.array(rng.integers(0, 8, n), dtype="Int64"),
        "fac_hours": rng.gamma(2.0, 2.0, n),
    }
    out = pd.DataFrame(frame)
    levels = np.array([r[5] for r in rows])
    for k, scale in enumerate(CONDITIONS):
        latent = 3.2 + levels[:, k] + common + rng.normal(0, 0.6, size=n)
        for code in SCALE_ITEMS[scale]:
            value = np.clip(np.rint(latent + rng.normal(0, 0.6, size=n)), 1, 5)
            out[code] = pd.array((6 - value) if code in REVERSE else value, dtype="Int64")
        keyed = [6 - out[c].astype(float) if c in REVERSE else out[c].astype(float) for c in SCALE_ITEMS[scale]]
        out[scale] = pd.concat(keyed, axis=1).mean(axis=1)
    eta = sum(TRUE_BETA[s] * out[s] for s in CONDITIONS)
    wave_eff = out["wave"].map(TRUE_WAVE)
    u = np.array([r[4] for r in rows])
    out["DUR"] = (
        3.0 + eta - sum(TRUE_BETA.values()) * 3.2 + wave_eff + u + rng.normal(0, np.sqrt(sigma2["residual"]), size=n)
    )
    eta_ord = sum(TRUE_ORDINAL_BETA[s] * out[s] for s in CONDITIONS)
    for code in SCALE_ITEMS["DUR"]:
        latent = eta_ord + rng.logistic(size=n)
        out[code] = pd.array(1 + np.searchsorted(TRUE_CUTS, latent), dtype="Int64")
    out["partnership_age"] = pd.array(out["wave"] - np.array([r[3] for r in rows]), dtype="Int64")
    out["comment"] = pd.array([""] * n, dtype="string")
    if missing_rate:
        out = add_mar_missing(out, missing_rate, rng)
    order = [
        "respondent_key",
        "region",
        "partnership_id",
        "wave",
        "source_file",
        "source_row",
        "role",
        "org_type",
        "phase",
        "years_involved",
        "fac_hours",
    ]
    items = [c for s in SCALE_ITEMS.values() for c in s]
    out = out[order + items + ["REL", "FAC", "PRO", "ORG", "DUR", "partnership_age", "comment"]]
    for col in ["REL", "FAC", "PRO", "ORG", "DUR", "fac_hours"]:
        out[col] = out[col].astype("float64")
    return out


def add_mar_missing(data: pd.DataFrame, rate: float, rng) -> pd.DataFrame:
    """Conditions missing at random: more often where DUR (observed) is low."""
    out = data.copy()
    z = (out["DUR"] - out["DUR"].mean()) / out["DUR"].std()
    for scale in CONDITIONS:
        p = rate * 2 / (1 + np.exp(1.5 * z))
        miss = rng.random(len(out)) < p
        out.loc[miss, scale] = np.nan
    return out


def registry(data: pd.DataFrame) -> pd.DataFrame:
    first = data.groupby("partnership_id", sort=True).agg(region=("region", "first"))
    return first.reset_index()
