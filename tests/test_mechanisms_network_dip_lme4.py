"""H6 against lme4/lmerTest (tests/data/network_dip_lme4.json, made by docs/validation/network_dip_lme4.R
on the seeded simulation of docs/validation/network_dip_make_data.py; R is not needed here)."""

import json
from pathlib import Path

import numpy as np
import pytest
from fixtures.mechanisms import dip_curve, simulate_responses

from borgingsmonitor.mechanisms import network_dip as nd

REF = json.loads((Path(__file__).parent / "data" / "network_dip_lme4.json").read_text())


@pytest.fixture(scope="module")
def ours():
    return nd.network_dip(simulate_responses(10, 25, seed=3, age_effect=dip_curve), n_boot=199, seed=20250101)


def test_fits_and_lr_test_match_lme4(ours):
    assert ours["n_obs"] == REF["n_obs"]
    assert ours["fit_linear"].loglik == pytest.approx(REF["loglik"]["linear"], abs=1e-6)
    assert ours["fit_spline"].loglik == pytest.approx(REF["loglik"]["spline"], abs=1e-6)
    assert ours["lrt"]["chi2"] == pytest.approx(REF["lrt"]["chi2"], abs=1e-5)
    assert ours["lrt"]["p_value"] == pytest.approx(REF["lrt"]["p_value"], abs=1e-6)


def test_contrasts_match_lmertest_satterthwaite_contrasts(ours):
    contrasts = ours["contrasts"].set_index("contrast")
    for ref in REF["contrasts"]:
        row = contrasts.loc[ref["contrast"]]
        assert (row["age_from"], row["age_to"]) == (ref["age_from"], ref["age_to"])
        for col in ("estimate", "std_error"):
            assert row[col] == pytest.approx(ref[col], abs=1e-5), col
        assert row["df"] == pytest.approx(ref["satterthwaite_df"], rel=1e-4)
        for col in ("ci_low", "ci_high", "p_value"):
            assert row[col] == pytest.approx(ref[f"satterthwaite_{col}".replace("_p_value", "_p")], abs=1e-5), col


def test_parametric_bootstrap_agrees_with_lme4_within_monte_carlo_error(ours):
    boot, ref = ours["lrt"]["bootstrap"], REF["bootstrap"]
    p = (boot["p_value"] + ref["p_value"]) / 2
    se = np.sqrt(p * (1 - p) * (1 / boot["n_boot"] + 1 / ref["n_boot"]))
    assert abs(boot["p_value"] - ref["p_value"]) < 4 * se
    assert abs(np.mean(boot["values"]) - ref["null_mean"]) < 0.5  # both near chi2(2)'s mean of 2
