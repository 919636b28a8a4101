"""Zero variance components are found exactly, and the fit is the global optimum on [0, inf)^2."""

from __future__ import annotations

import numpy as np
import pandas as pd
import patsy
import pytest
import statsmodels.api as sm
from fixtures.models import HYBRID_SPEC
from fixtures.nested_lmm import FORMULA, make_nested, statsmodels_fit
from hypothesis import given, settings
from hypothesis import strategies as st

from borgingsmonitor.models import declared
from borgingsmonitor.models import nested_lmm as nl
from borgingsmonitor.synthetic.simulate import simulate_clean


def stats_of(df):
    y, X = patsy.dmatrices(FORMULA, df, return_type="dataframe")
    return nl.partnership_stats(y.iloc[:, 0], X, df["region"], df["partnership_id"]), y, X


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_zero_region_variance_equals_two_level_model(method):
    # seed 3 with no region effect gives a REML and ML optimum on the boundary (see lme4 test data)
    df = make_nested(3, n_regions=7, n_partnerships=36, n=700, s2_region=0.0)
    res = nl.fit_nested_lmm(FORMULA, df, method=method)
    assert res.sigma2["region"] == 0.0
    assert res.converged
    ref = statsmodels_fit(df, reml=method == "REML", two_level=True)
    idx = res.params.index
    np.testing.assert_allclose(res.params, ref["params"][idx], rtol=1e-6)
    np.testing.assert_allclose(res.bse, ref["bse"][idx], rtol=1e-6)
    np.testing.assert_allclose(res.sigma2["partnership"], ref["sigma2"]["partnership"], rtol=1e-6)
    np.testing.assert_allclose(res.sigma2["residual"], ref["sigma2"]["residual"], rtol=1e-6)
    assert res.loglik == pytest.approx(ref["loglik"], rel=1e-9)
    # the likelihood does not increase into the interior: d(-2 loglik)/d ratio_region >= 0 at 0
    stats, _, _ = stats_of(df)
    grad = nl._Profile(stats, method).criterion(0.0, res.ratios["partnership"], grad=True)[1]
    assert grad[0] >= 0


def test_both_zero_is_ordinary_least_squares():
    # seed 3 without random effects: both REML variance components are exactly 0 (with seed 1
    # the partnership ratio is 6.7e-6 and 1.6e-7 better in -2 loglik: that must not be snapped to 0)
    df = make_nested(3, s2_region=0.0, s2_partnership=0.0)
    stats, y, X = stats_of(df)
    res = nl.fit_from_stats(stats)
    assert res.ratios == {"region": 0.0, "partnership": 0.0}
    assert res.converged
    tiny = nl.fit_from_stats(stats_of(make_nested(1, s2_region=0.0, s2_partnership=0.0))[0])
    assert 0 < tiny.ratios["partnership"] < 1e-4 and tiny.converged
    ols = sm.OLS(y, X).fit()
    np.testing.assert_allclose(res.params, ols.params, rtol=1e-10)
    np.testing.assert_allclose(res.bse, ols.bse, rtol=1e-10)
    assert res.sigma2["residual"] == pytest.approx(ols.scale, rel=1e-10)


def test_zero_partnership_variance_is_exact():
    for seed in range(40):
        df = make_nested(seed, s2_region=0.2, s2_partnership=0.0, n=400)
        res = nl.fit_nested_lmm(FORMULA, df)
        if res.sigma2["partnership"] == 0.0:
            break
    else:
        pytest.fail("no seed gave a boundary fit for the partnership variance")
    assert res.converged and res.sigma2["region"] > 0
    # equals the model with region intercepts only (partnership level dropped)
    one_level = df.assign(partnership_id=df["region"])
    alt = nl.fit_nested_lmm(FORMULA, one_level)
    # partnership = region makes the two levels collinear; the region-only fit is the sum of both
    np.testing.assert_allclose(res.params, alt.params, rtol=1e-6)
    assert res.sigma2["region"] == pytest.approx(alt.sigma2["region"] + alt.sigma2["partnership"], rel=1e-6)
    assert res.loglik == pytest.approx(alt.loglik, rel=1e-9)


@settings(max_examples=12, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 100_000),
    s2_region=st.sampled_from([0.0, 0.01, 0.1]),
    s2_partnership=st.sampled_from([0.0, 0.02, 0.2]),
    reml=st.booleans(),
)
def test_fit_is_global_optimum(seed, s2_region, s2_partnership, reml):
    df = make_nested(seed, n_regions=5, n_partnerships=20, n=200, s2_region=s2_region, s2_partnership=s2_partnership)
    stats, _, _ = stats_of(df)
    method = "REML" if reml else "ML"
    res = nl.fit_from_stats(stats, method)
    prof = nl._Profile(stats, method)
    best = -2 * res.loglik
    assert res.ratios["region"] >= 0 and res.ratios["partnership"] >= 0
    grid = np.r_[0.0, np.exp(np.linspace(-9, 4, 14))]
    values = np.array([[prof.criterion(a, b) for b in grid] for a in grid])
    assert best <= values.min() + 1e-9 * abs(best)
    assert res.converged


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([0.0, 0.01]), st.sampled_from(["REML", "ML"]))
def test_polishing_only_the_faces_near_the_best_gives_the_fit_of_polishing_all(seed, s2_cell, method):
    """The fast path polishes a boundary face only if its optimum is within POLISH_MARGIN of the best:
    the same fit, to the last bit, as polishing every face, on the hybrid model's three random levels
    (region, partnership, partnership-within-wave; with and without a partnership-wave variance)."""
    data, _ = simulate_clean(1500, n_regions=12, n_partnerships=48, seed=seed, sigma2={"partnership_wave": s2_cell})
    spec = {**HYBRID_SPEC, "region_effect": "random", "method": method}
    fast = declared.fit_declared(spec, data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(nl, "POLISH_MARGIN", np.inf)
        plain = declared.fit_declared(spec, data)
    pd.testing.assert_frame_equal(fast, plain, check_exact=True)
