"""The sufficient-statistics estimator against statsmodels MixedLM and a dense brute-force likelihood."""

from __future__ import annotations

import numpy as np
import patsy
import pytest
from fixtures.nested_lmm import FORMULA, make_nested, statsmodels_fit
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from borgingsmonitor.models import nested_lmm as nl


def assert_same_fit(res, ref, rtol=1e-6):
    idx = res.params.index
    np.testing.assert_allclose(res.params.to_numpy(), ref["params"][idx].to_numpy(), rtol=rtol, atol=1e-8)
    np.testing.assert_allclose(res.bse.to_numpy(), ref["bse"][idx].to_numpy(), rtol=rtol)
    for comp in ("region", "partnership", "residual"):
        np.testing.assert_allclose(res.sigma2[comp], ref["sigma2"][comp], rtol=rtol, atol=1e-9, err_msg=comp)
    np.testing.assert_allclose(res.loglik, ref["loglik"], rtol=1e-9)


@pytest.mark.parametrize("method", ["REML", "ML"])
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_equals_statsmodels_mixedlm(seed, method):
    df = make_nested(seed)
    res = nl.fit_nested_lmm(FORMULA, df, method=method)
    ref = statsmodels_fit(df, reml=method == "REML")
    assert res.converged
    assert res.method == method
    assert res.n_obs == len(df)
    assert res.n_groups == {"region": 6, "partnership": 30}
    assert_same_fit(res, ref)


def dense_criterion(y, X, groups_r, groups_p, tr, tp, reml):
    """-2 log-likelihood profiled over b and s2_e, with the full N x N covariance."""
    Zr = (groups_r[:, None] == np.unique(groups_r)[None, :]).astype(float)
    Zp = (groups_p[:, None] == np.unique(groups_p)[None, :]).astype(float)
    H = np.eye(len(y)) + tr * Zr @ Zr.T + tp * Zp @ Zp.T
    Hi = np.linalg.inv(H)
    M = X.T @ Hi @ X
    b = np.linalg.solve(M, X.T @ Hi @ y)
    r = y - X @ b
    rss = r @ Hi @ r
    n, k = X.shape
    dof = n - k if reml else n
    val = dof * (1 + np.log(2 * np.pi * rss / dof)) + np.linalg.slogdet(H)[1]
    if reml:
        val += np.linalg.slogdet(M)[1]
    return val, b, rss / dof * np.linalg.inv(M)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10_000),
    tr=st.floats(0, 5),
    tp=st.floats(0, 5),
    reml=st.booleans(),
)
def test_criterion_and_gradient_equal_dense_likelihood(seed, tr, tp, reml):
    df = make_nested(seed, n_regions=4, n_partnerships=12, n=120)
    y, X = patsy.dmatrices(FORMULA, df, return_type="dataframe")
    y, X = y.to_numpy()[:, 0], X.to_numpy()
    stats = nl.partnership_stats(y, X, df["region"], df["partnership_id"])
    prof = nl._Profile(stats, "REML" if reml else "ML")
    val, grad = prof.criterion(tr, tp, grad=True)
    dense, b, _ = dense_criterion(y, X, df["region"].to_numpy(), df["partnership_id"].to_numpy(), tr, tp, reml)
    assert val == pytest.approx(dense, rel=1e-10)
    np.testing.assert_allclose(prof.solve(tr, tp)["b"], b, rtol=1e-8, atol=1e-10)
    num = [
        numeric_derivative(lambda a: prof.criterion(a, tp), tr),
        numeric_derivative(lambda b: prof.criterion(tr, b), tp),
    ]
    np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-4)


def numeric_derivative(f, x, h=1e-5):
    """Central difference; second-order one-sided at the boundary 0 (ratios cannot go negative)."""
    if x >= h:
        return (f(x + h) - f(x - h)) / (2 * h)
    return (-3 * f(x) + 4 * f(x + h) - f(x + 2 * h)) / (2 * h)


def test_standard_errors_are_inverse_of_xtvinvx():
    df = make_nested(5, n_regions=4, n_partnerships=12, n=150)
    res = nl.fit_nested_lmm(FORMULA, df)
    y, X = patsy.dmatrices(FORMULA, df, return_type="dataframe")
    t = res.ratios
    _, _, cov = dense_criterion(
        y.to_numpy()[:, 0],
        X.to_numpy(),
        df["region"].to_numpy(),
        df["partnership_id"].to_numpy(),
        t["region"],
        t["partnership"],
        True,
    )
    np.testing.assert_allclose(res.cov_params.to_numpy(), cov, rtol=1e-9)
    np.testing.assert_allclose(res.bse.to_numpy(), np.sqrt(np.diag(cov)), rtol=1e-9)
    assert list(res.cov_params.index) == list(res.params.index) == list(X.columns)


def test_summary_frame_and_icc():
    res = nl.fit_nested_lmm(FORMULA, make_nested(3))
    table = res.summary_frame()
    assert list(table.columns) == ["term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "df"]
    row = table.set_index("term").loc["x1"]
    assert row.ci_low < row.estimate < row.ci_high
    # t on Satterthwaite df (a respondent-level term: df near n), not z
    assert 100 < row.df < 500
    assert row.ci_high - row.estimate == pytest.approx(stats.t.ppf(0.975, row.df) * row.std_error)
    icc = res.icc()
    total = sum(res.sigma2.values())
    assert icc["region"] == pytest.approx(res.sigma2["region"] / total)
    assert icc["region"] <= icc["partnership"] < 1
