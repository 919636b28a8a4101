"""Seeded synthetic data of the clean data set's shape, with known mechanism effects.

Used by tests/test_mechanisms_*.py only (imported by name; not a pytest conftest).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from borgingsmonitor.core.questionnaire import load_questionnaire

QUESTIONNAIRE = Path(__file__).resolve().parents[1] / "config" / "questionnaire.yaml"
TRUE = {"a": 0.5, "b": 0.4, "direct": 0.2}
REGIONS = ["helmond", "noord-west-veluwe", "den-bosch", "west-brabant"]
WAVES = [2023, 2024, 2025]


def dip_curve(age):
    """A dip around age 3 that recovers: the H6 shape."""
    return -0.6 * np.exp(-((np.asarray(age, float) - 3.0) ** 2) / 2.0)


def linear_curve(age):
    return 0.08 * np.asarray(age, float)


def simulate_registry(n_partnerships: int = 40, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    region = np.array(REGIONS)[np.arange(n_partnerships) % len(REGIONS)]
    prefix = {r: r[:3].upper() for r in REGIONS}
    ids = [f"{prefix[r]}-{i + 1:02d}" for i, r in enumerate(region)]
    start = rng.integers(2015, 2023, size=n_partnerships)
    return pd.DataFrame({
        "partnership_id": ids,
        "region": [r.replace("-", " ").title() for r in region],
        "name": [f"Route {i}" for i in ids],
        "sector": "Techniek",
        "vmbo_school": "Vmbo",
        "mbo_institution": "ROC",
        "start_year": start,
        "funding_end_year": start + 4,
        "stopped_year": pd.array([pd.NA] * n_partnerships, dtype="Int64"),
    })


def simulate_responses(n_per_partnership_wave: int = 30, n_partnerships: int = 40, seed: int = 1,
                       age_effect=dip_curve, registry: pd.DataFrame | None = None) -> pd.DataFrame:
    """Responses with REL = a*FAC + ..., DUR = b*REL + direct*FAC + ... + f(age) + u_p + v_r + e."""
    rng = np.random.default_rng(seed)
    reg = registry if registry is not None else simulate_registry(n_partnerships, seed)
    slug = {r.replace("-", " ").title(): r for r in REGIONS}
    rows = []
    u_p = rng.normal(0, 0.25, len(reg))
    v_r = dict(zip(REGIONS, rng.normal(0, 0.15, len(REGIONS))))
    level_p = rng.normal(0, 0.3, len(reg))
    for p, rec in enumerate(reg.itertuples()):
        for wave in WAVES:
            n = n_per_partnership_wave
            region = slug[rec.region.strip()]
            age = wave - rec.start_year
            pro = 3.4 + level_p[p] + rng.normal(0, 0.6, n)
            org = 3.2 + 0.5 * level_p[p] + rng.normal(0, 0.6, n)
            fac = 2.0 + 0.3 * pro + rng.normal(0, 0.6, n)
            rel = 0.8 + TRUE["a"] * fac + 0.2 * pro + 0.1 * org + 0.05 * (wave - 2023) + rng.normal(0, 0.5, n)
            dur = (0.3 + TRUE["b"] * rel + TRUE["direct"] * fac + 0.2 * pro + 0.15 * org
                   + 0.1 * (wave - 2023) + age_effect(age) + u_p[p] + v_r[region] + rng.normal(0, 0.5, n))
            rows.append(pd.DataFrame({
                "region": region, "partnership_id": rec.partnership_id.strip(), "wave": wave,
                "PRO": pro, "ORG": org, "FAC": fac, "REL": rel, "DUR": dur, "partnership_age": age,
            }))
    out = pd.concat(rows, ignore_index=True)
    n = len(out)
    out.insert(0, "respondent_key", [f"k{i:07d}" for i in range(n)])
    out.insert(4, "source_file", "synthetic.csv")
    out.insert(5, "source_row", np.arange(n))
    out.insert(6, "role", rng.choice(["Docent", "Teamleider", "Directie/bestuur"], n))
    out.insert(7, "org_type", rng.choice(["vmbo", "mbo"], n))
    out.insert(8, "phase", rng.choice(["Opstart", "Uitvoering", "Netwerkdip", "Borging"], n))
    out.insert(9, "years_involved", rng.integers(0, 8, n).astype(float))
    out.insert(10, "fac_hours", np.where(rng.random(n) < 0.1, np.nan, rng.uniform(0, 8, n)))
    q = load_questionnaire(QUESTIONNAIRE)
    for scale, codes in q.scales.items():
        for code in codes:
            value = out[scale].to_numpy() + rng.normal(0, 0.5, n)
            if code in q.reverse_items:
                value = 6 - value
            out[code] = pd.array(np.clip(np.rint(value), 1, 5).astype(int), dtype="Int64")
    out["partnership_age"] = out["partnership_age"].astype("Int64")
    out["comment"] = ""
    scales = ["REL", "FAC", "PRO", "ORG", "DUR"]
    return out[[c for c in out.columns if c not in scales + ["partnership_age", "comment"]]
               + scales + ["partnership_age", "comment"]]
