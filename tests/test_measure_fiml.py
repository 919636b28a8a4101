"""CFA by full-information ML against lavaan's cfa(missing = "fiml") (tests/data/cfa_fiml_lavaan.json,
made by docs/validation/cfa_fiml_validate.R with lavaan 0.6-14; R is not needed here)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures.measure import QUESTIONNAIRE

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.core.scales import score_scales
from borgingsmonitor.measure import fiml
from borgingsmonitor.measure.cfa import fit_cfa, fit_cfa_fiml, fit_indices, five_factor_cfa

DATA = Path(__file__).parent / "data"
Q = load_questionnaire(QUESTIONNAIRE)
HS = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
PAIRS = {
    "chi2": "chisq",
    "p_value": "pvalue",
    "cfi": "cfi",
    "tli": "tli",
    "rmsea": "rmsea",
    "rmsea_ci_low": "rmsea.ci.lower",
    "rmsea_ci_high": "rmsea.ci.upper",
    "srmr": "srmr",
}


@pytest.fixture(scope="module")
def sample_fit():
    data = pd.read_csv(DATA / "measurement_sample.csv")
    data = score_scales(data.astype({c: "Int64" for c in Q.item_codes}), Q)
    return five_factor_cfa(data, Q), json.loads((DATA / "cfa_fiml_lavaan.json").read_text())


@pytest.mark.parametrize("model, ref_key", [("five_factor", "fiml"), ("five_factor_listwise", "listwise")])
def test_fit_matches_lavaan(sample_fit, model, ref_key):
    (fit, _), ref = sample_fit
    row, lav = fit.set_index("model").loc[model], ref[ref_key]["fit"]
    assert row["n"] == lav["ntotal"] and row["df"] == lav["df"]
    assert row["missing"] == ref_key and row["n_complete"] == ref["n_complete"] and row["n_responses"] == ref["n_rows"]
    for ours, theirs in PAIRS.items():
        assert row[ours] == pytest.approx(lav[theirs], abs=1e-4), ours


@pytest.mark.parametrize("model, ref_key", [("five_factor", "fiml"), ("five_factor_listwise", "listwise")])
def test_loadings_match_lavaan(sample_fit, model, ref_key):
    (_, loadings), ref = sample_fit
    lav = pd.DataFrame(ref[ref_key]["loadings"])
    merged = loadings[loadings["model"] == model].merge(lav, on=["factor", "item"], suffixes=("", "_r"))
    assert len(merged) == 20
    np.testing.assert_allclose(merged["estimate"], merged["estimate_r"], atol=1e-4)
    np.testing.assert_allclose(merged["std_loading"], merged["std_loading_r"], atol=1e-4)


def test_fiml_uses_more_responses_than_listwise(sample_fit):
    (fit, _), ref = sample_fit
    rows = fit.set_index("model")
    assert rows.loc["five_factor", "n"] == ref["n_rows"] > rows.loc["five_factor_listwise", "n"] == ref["n_complete"]


def test_fiml_on_complete_data_is_ml():
    """Without missing values FIML is ordinary ML: lavaan's Holzinger-Swineford chi2 and loadings."""
    data = pd.read_csv(DATA / "measurement_holzinger_swineford1939.csv")
    full, ml = fit_cfa_fiml(data, HS), fit_cfa(data, HS)
    ml_idx = fit_indices(ml.sample_cov, ml.implied_cov, ml.n, ml.n_params)
    for key in ("chi2", "df", "cfi", "tli", "rmsea"):
        assert full.indices[key] == pytest.approx(ml_idx[key], abs=1e-6), key
    # the means are fitted exactly, so SRMR only gains p zero residuals (lavaan counts them too)
    p = len(data.columns)
    assert full.indices["srmr"] == pytest.approx(ml_idx["srmr"] * np.sqrt((p * (p + 1) / 2) / (p * (p + 1) / 2 + p)))
    assert full.indices["chi2"] == pytest.approx(85.30552177, abs=1e-5)
    np.testing.assert_allclose(full.loadings["std_loading"], ml.loadings["std_loading"], atol=1e-6)


def test_gradient_and_saturated_model():
    rng = np.random.default_rng(4)
    x = rng.multivariate_normal([1, 2, 3], [[1, 0.5, 0.3], [0.5, 1, 0.4], [0.3, 0.4, 1]], size=200)
    x[rng.random(x.shape) < 0.15] = np.nan
    patterns = fiml.missing_patterns(x)
    assert sum(p.n for p in patterns) == int(np.isfinite(x).any(axis=1).sum())
    mu, sigma = fiml.em_saturated(patterns, 3)
    value, g_mu, g_sigma = fiml.minus2_loglik(patterns, mu, sigma, grad=True)
    np.testing.assert_allclose(g_mu, 0, atol=1e-6)  # the EM estimate is the saturated optimum
    np.testing.assert_allclose(g_sigma, 0, atol=1e-6)
    model = fiml.CfaModel({"f": ["a", "b", "c"]}, ["a", "b", "c"])
    fun = model.objective(patterns)
    x0 = model.start(mu, sigma)
    _, grad = fun(x0)
    numeric = [(fun(x0 + e)[0] - fun(x0 - e)[0]) / 2e-6 for e in np.eye(len(x0)) * 1e-6]
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-4)
    # a one-factor model of three items is just identified: it reproduces the saturated fit
    est, m2ll, converged = fiml.fit_model(model, patterns, x0)
    assert converged and m2ll == pytest.approx(value, abs=1e-6)


def test_complete_data_em_is_the_sample_moments():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(50, 3))
    mu, sigma = fiml.em_saturated(fiml.missing_patterns(x), 3)
    np.testing.assert_allclose(mu, x.mean(axis=0))
    np.testing.assert_allclose(sigma, np.cov(x, rowvar=False, ddof=0))
