"""Cumulative-logit sensitivity model: truth recovered, actual cut points, no constant."""

import numpy as np
import pytest
from fixtures.models import TRUE_CUTS, TRUE_ORDINAL_BETA, simulate_clean
from hypothesis import given, settings
from hypothesis import strategies as st

from borgingsmonitor.models import mixed, ordinal

FORMULA = "dur_continue ~ REL + FAC + PRO + ORG + C(wave)"


@pytest.fixture(scope="module")
def fitted():
    data = simulate_clean(seed=21, n_regions=6, partnerships_per_region=10, respondents=15)
    rows = mixed.complete_rows(FORMULA, data, ["partnership_id"])
    return ordinal.fit_ordinal(FORMULA, rows, cluster="partnership_id"), rows


def test_slopes_and_cut_points_cover_the_truth(fitted):
    fit, rows = fitted
    terms = fit.terms.set_index("term")
    truth = {**TRUE_ORDINAL_BETA, "C(wave)[T.2024]": 0.0, "C(wave)[T.2025]": 0.0}
    truth.update({f"cut_{k + 1}|{k + 2}": c for k, c in enumerate(TRUE_CUTS)})
    assert set(truth) == set(terms.index)
    for term, value in truth.items():
        assert terms.loc[term, "ci_low"] <= value <= terms.loc[term, "ci_high"], term
    for term in ("REL", "FAC", "ORG"):
        assert terms.loc[term, "estimate"] > 0 and terms.loc[term, "p_value"] < 1e-6
    assert fit.n_obs == len(rows) and fit.n_groups == 60
    assert "cluster" in fit.method and fit.converged


def test_design_has_no_constant_and_treatment_coded_waves():
    data = simulate_clean(seed=1, n_regions=2, partnerships_per_region=3, respondents=4)
    endog, exog = ordinal.design(FORMULA, mixed.complete_rows(FORMULA, data, ["partnership_id"]))
    assert "Intercept" not in exog.columns
    assert list(exog.columns) == ["C(wave)[T.2024]", "C(wave)[T.2025]", "REL", "FAC", "PRO", "ORG"]
    assert endog.cat.ordered


def test_cluster_se_differs_from_model_se_and_estimates_do_not(fitted):
    _, rows = fitted
    plain = ordinal.fit_ordinal(FORMULA, rows, cluster=None).terms.set_index("term")
    robust = fitted[0].terms.set_index("term")
    assert np.allclose(plain["estimate"], robust["estimate"], atol=1e-5)
    assert not np.allclose(plain["std_error"], robust["std_error"], rtol=1e-3)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-3, 3), min_size=4, max_size=4),
    st.floats(-2, 2),
)
def test_cut_points_are_increasing_and_delta_se_matches_numeric(theta_tail, first):
    theta = np.array([first] + theta_tail[1:], dtype=float)
    params = np.concatenate([[0.3], theta])
    cov = np.diag(np.full(len(params), 0.01)) + 0.002
    out = ordinal.cut_points(params, cov, 1, ["1", "2", "3", "4", "5"])
    cuts = out["estimate"].to_numpy()
    assert np.all(np.diff(cuts) > 0)
    assert cuts[0] == pytest.approx(first)

    def f(t):
        return np.concatenate((t[:1], np.exp(t[1:]))).cumsum()

    eps = 1e-6
    jac = np.column_stack([(f(theta + eps * e) - f(theta - eps * e)) / (2 * eps) for e in np.eye(len(theta))])
    se = np.sqrt(np.diag(jac @ cov[1:, 1:] @ jac.T))
    assert np.allclose(out["std_error"], se, rtol=1e-5)
    assert out["term"].tolist() == ["cut_1|2", "cut_2|3", "cut_3|4", "cut_4|5"]


def test_unobserved_top_level_gives_fewer_cut_points():
    data = simulate_clean(seed=4, n_regions=3, partnerships_per_region=4, respondents=6)
    data["dur_continue"] = data["dur_continue"].clip(upper=4)
    rows = mixed.complete_rows(FORMULA, data, ["partnership_id"])
    terms = ordinal.fit_ordinal(FORMULA, rows).terms
    assert [t for t in terms["term"] if t.startswith("cut_")] == ["cut_1|2", "cut_2|3", "cut_3|4"]
