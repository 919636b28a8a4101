"""Our measurement tables against the R reference values (docs/validation/, made by
measurement_validate.R with psych 2.2.9 and lavaan 0.6-14; R itself is not needed here)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures.measure import QUESTIONNAIRE

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.core.scales import score_scales
from borgingsmonitor.measure.cfa import five_factor_cfa
from borgingsmonitor.measure.reliability import reliability_table

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "docs" / "validation"
Q = load_questionnaire(QUESTIONNAIRE)


@pytest.fixture(scope="module")
def sample():
    data = pd.read_csv(ROOT / "tests" / "data" / "measurement_sample.csv")
    return score_scales(data.astype({c: "Int64" for c in Q.item_codes}), Q)


def test_reliability_matches_psych_and_lavaan(sample):
    ours = reliability_table(sample, Q)
    ref = pd.read_csv(REF / "measurement_r_reliability.csv", dtype={"wave": str})
    merged = ours.merge(ref, on=["scale", "wave"], suffixes=("", "_r"))
    assert len(merged) == len(ours) == 20
    assert (merged["n"] == merged["n_r"]).all()
    for col in ["alpha", "alpha_ci_low", "alpha_ci_high"]:
        np.testing.assert_allclose(merged[col].astype(float), merged[f"{col}_r"], atol=1e-10)
    np.testing.assert_allclose(merged["omega"].astype(float), merged["omega_lavaan"], atol=1e-5)


def test_cfa_matches_lavaan_fitmeasures(sample):
    fit, loadings = five_factor_cfa(sample, Q)
    ref = pd.read_csv(REF / "measurement_r_cfa_fit.csv").iloc[0]
    row = fit.set_index("model").loc["five_factor_listwise"]  # the registered listwise fit
    assert row["n"] == ref["n"] and row["df"] == ref["df"]
    pairs = {
        "chi2": "chisq",
        "p_value": "pvalue",
        "cfi": "cfi",
        "tli": "tli",
        "rmsea": "rmsea",
        "rmsea_ci_low": "rmsea.ci.lower",
        "rmsea_ci_high": "rmsea.ci.upper",
        "srmr": "srmr",
    }
    for ours, theirs in pairs.items():
        assert row[ours] == pytest.approx(ref[theirs], abs=1e-4), ours
    ref_load = pd.read_csv(REF / "measurement_r_cfa_loadings.csv")
    listwise = loadings[loadings["model"] == "five_factor_listwise"]
    merged = listwise.merge(ref_load, on=["factor", "item"], suffixes=("", "_r"))
    assert len(merged) == 20
    np.testing.assert_allclose(merged["std_loading"], merged["std_loading_r"], atol=1e-4)
