"""CFA: lavaan's published Holzinger-Swineford example and the five-factor model."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures.measure import QUESTIONNAIRE, simulate_responses

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.measure.cfa import (
    FIT_COLUMNS,
    fit_cfa,
    fit_indices,
    five_factor_cfa,
    model_description,
    rmsea,
    rmsea_ci,
    srmr_bentler,
)

Q = load_questionnaire(QUESTIONNAIRE)
HS = Path(__file__).parent / "data" / "measurement_holzinger_swineford1939.csv"
HS_MODEL = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


@pytest.fixture(scope="module")
def hs_fit():
    data = pd.read_csv(HS)
    fit = fit_cfa(data, HS_MODEL)
    return fit, fit_indices(fit.sample_cov, fit.implied_cov, fit.n, fit.n_params)


def test_holzinger_swineford_published_fit(hs_fit):
    # lavaan tutorial (lavaan.ugent.be/tutorial/cfa.html) and fitMeasures() of lavaan 0.6-14
    _, idx = hs_fit
    assert idx["n"] == 301 and idx["df"] == 24
    assert idx["chi2"] == pytest.approx(85.306, abs=5e-4)
    assert idx["chi2"] == pytest.approx(85.30552177, abs=1e-5)
    assert idx["cfi"] == pytest.approx(0.93055965, abs=1e-6)
    assert idx["tli"] == pytest.approx(0.89583948, abs=1e-6)
    assert idx["rmsea"] == pytest.approx(0.09212148, abs=1e-6)
    assert idx["rmsea_ci_low"] == pytest.approx(0.07141849, abs=1e-6)
    assert idx["rmsea_ci_high"] == pytest.approx(0.11367802, abs=1e-6)
    assert idx["srmr"] == pytest.approx(0.06520506, abs=1e-6)
    assert idx["p_value"] < 1e-7


def test_holzinger_swineford_loadings(hs_fit):
    fit, _ = hs_fit
    lo = fit.loadings.set_index("item")
    # lavaan coef() and standardizedSolution() est.std
    np.testing.assert_allclose(
        lo.loc[["x2", "x3", "x5", "x6", "x8", "x9"], "estimate"],
        [0.55350029, 0.72937021, 1.11307658, 0.92614624, 1.17995084, 1.08153016],
        atol=2e-5,
    )
    np.testing.assert_allclose(
        lo["std_loading"], [0.772, 0.424, 0.581, 0.852, 0.855, 0.838, 0.570, 0.723, 0.665], atol=6e-4
    )
    assert lo.loc["x1", "estimate"] == 1.0
    assert list(fit.loadings["factor"].unique()) == list(HS_MODEL)


def test_saturated_fit_has_zero_misfit():
    rng = np.random.default_rng(2)
    s = np.cov(rng.normal(size=(100, 4)), rowvar=False, ddof=0)
    assert srmr_bentler(s, s) == 0
    assert rmsea(3.0, 10, 100) == 0.0  # chi2 below df
    assert rmsea_ci(3.0, 10, 100) == (0.0, 0.0)


def test_rmsea_ci_brackets_point_estimate():
    low, high = rmsea_ci(250.0, 100, 500)
    assert low < rmsea(250.0, 100, 500) < high


def test_model_description():
    assert model_description({"F": ["a", "b"], "G": ["c", "d"]}) == "F =~ a + b\nG =~ c + d"


@pytest.fixture(scope="module")
def five():
    df = simulate_responses(n_per_region_wave=80, seed=12)
    return df, five_factor_cfa(df, Q)


def test_five_factor_tables(five):
    df, (fit, loadings) = five
    assert list(fit.columns) == FIT_COLUMNS
    assert fit["model"].tolist() == ["five_factor", "five_factor_listwise"]
    assert fit["missing"].tolist() == ["fiml", "listwise"]
    assert (fit["df"] == 20 * 21 // 2 - (15 + 15 + 20)).all()
    assert fit.loc[0, "n"] == df[Q.item_codes].notna().any(axis=1).sum()
    assert fit.loc[1, "n"] == len(df[Q.item_codes].dropna()) == fit.loc[0, "n_complete"]
    assert (fit["n_responses"] == len(df)).all()
    assert (fit["cfi"] > 0.95).all() and (fit["srmr"] < 0.08).all()
    for _, part in loadings.groupby("model", sort=False):
        assert part["item"].tolist() == Q.item_codes
        assert part.groupby("factor", sort=False).size().to_dict() == {s: len(v) for s, v in Q.scales.items()}


def test_reverse_item_loads_positively_after_single_reversal(five):
    _, (_, loadings) = five
    for row in loadings[loadings["item"] == "rel_distant"].itertuples():
        assert bool(row.reverse) and row.std_loading > 0.4
    assert (loadings["std_loading"] > 0).all()
    np.testing.assert_allclose(loadings["r2"], loadings["std_loading"] ** 2)


def test_cfa_is_deterministic(five):
    df, (fit, loadings) = five
    fit2, loadings2 = five_factor_cfa(df, Q)
    pd.testing.assert_frame_equal(fit, fit2)
    pd.testing.assert_frame_equal(loadings, loadings2)
