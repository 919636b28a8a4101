"""H7 on the age scale against R's survival::coxph / survfit, without R: the reference numbers in
tests/data/survival_age_r_reference.json come from docs/validation/survival_age_validate.R."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from borgingsmonitor.core.registry import load_registry
from borgingsmonitor.mechanisms import survival as sv
from borgingsmonitor.synthetic.survival import simulate_survival

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = json.loads((ROOT / "tests/data/survival_age_r_reference.json").read_text())


def _years(name: str) -> pd.DataFrame:
    if name == "example":  # the Kaplan-Meier curves need only the registry and the last wave
        registry = load_registry(ROOT / "data/example/registry/partnerships.csv")
        return sv.at_risk_years(
            registry,
            pd.DataFrame({"partnership_id": ["HEL-01"], "wave": [2025], **dict.fromkeys(sv.CONDITIONS, [3.0])}),
        )
    registry, responses, _ = simulate_survival(**REFERENCE["simulation"])
    if name == "sim_equal_funding":
        registry = registry.assign(funding_end_year=registry["start_year"] + 4)
    return sv.at_risk_years(registry, responses)


@pytest.fixture(scope="module")
def ours():
    out = {}
    for name in ("sim", "sim_equal_funding", "example"):
        years = _years(name)
        parts = [sv.kaplan_meier(years)] + ([sv.cox_models(years)] if name != "example" else [])
        out[name] = pd.concat(parts, ignore_index=True)
    return out


def test_cox_agrees_with_r_efron_to_1e4(ours):
    checked = 0
    for ref in REFERENCE["cox"]:
        if ref["data"] == "example":
            continue
        row = ours[ref["data"]].set_index(["model", "term"]).loc[(ref["model"], ref["term"])]
        if ref["estimate"] is None:  # R: singular (NA); we: not estimable, and say why
            assert np.isnan(row["estimate"]) and "not estimable" in row["note"]
            continue
        assert row["estimate"] == pytest.approx(ref["estimate"], abs=1e-4)
        assert row["std_error"] == pytest.approx(ref["std_error"], abs=1e-4)
        checked += 1
    assert checked == 9


def test_kaplan_meier_and_simon_makuch_agree_with_survfit(ours):
    checked = 0
    for ref in REFERENCE["km"]:
        table = ours[ref["data"]].set_index("term")
        row = table.loc[f"{ref['stratum']};t={ref['t']}"]
        assert row["estimate"] == pytest.approx(ref["estimate"], abs=1e-10)
        assert row["n_at_risk"] == ref["n_at_risk"]
        if ref["ci_low"] is not None:
            assert row["ci_low"] == pytest.approx(ref["ci_low"], abs=1e-8)
            assert row["ci_high"] == pytest.approx(ref["ci_high"], abs=1e-8)
        checked += 1
    assert checked == len(REFERENCE["km"]) > 50
