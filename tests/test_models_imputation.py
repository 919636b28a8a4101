"""Multiple imputation (chained equations, PMM) and Rubin's rules."""

import numpy as np
import pandas as pd
import pytest
from fixtures.models import TRUE_BETA, simulate_clean
from hypothesis import given, settings
from hypothesis import strategies as st

from borgingsmonitor.models import imputation
from borgingsmonitor.models.declared import fit_declared

SCALES = ["REL", "FAC", "PRO", "ORG", "DUR"]


def test_rubin_pool_by_hand():
    out = imputation.rubin_pool([pd.Series({"x": 1.0}), pd.Series({"x": 3.0})], [pd.Series({"x": 1.0})] * 2, 100)
    row = out.iloc[0]
    assert row.estimate == 2.0
    assert row.std_error == pytest.approx(2.0)  # T = 1 + (1 + 1/2) * 2 = 4
    lam = 0.75
    df_old = 1 / lam**2
    df_obs = 101 / 103 * 100 * (1 - lam)
    assert row.df == pytest.approx(df_old * df_obs / (df_old + df_obs))
    from scipy import stats

    crit = stats.t.ppf(0.975, row.df)
    assert row.ci_low == pytest.approx(2 - crit * 2) and row.ci_high == pytest.approx(2 + crit * 2)
    assert row["lambda"] == pytest.approx(lam)


@settings(max_examples=30, deadline=None)
@given(st.floats(-5, 5), st.floats(0.01, 4), st.integers(2, 30), st.integers(10, 5000))
def test_identical_imputations_pool_to_the_complete_data_answer(est, var, m, df_com):
    out = imputation.rubin_pool([pd.Series({"x": est})] * m, [pd.Series({"x": var})] * m, df_com).iloc[0]
    assert out.estimate == pytest.approx(est)
    assert out.std_error == pytest.approx(np.sqrt(var))
    assert out.df <= df_com and out.df == pytest.approx((df_com + 1) / (df_com + 3) * df_com, rel=1e-6)


@pytest.fixture(scope="module")
def mar_data():
    return simulate_clean(seed=31, n_regions=6, partnerships_per_region=8, respondents=10, missing_rate=0.2)


def _base(data):
    return data[SCALES + ["fac_hours", "wave", "region", "partnership_id"]].astype(
        {"region": object, "partnership_id": object}
    )


def test_imputation_is_seeded_keeps_observed_values_and_uses_donor_values(mar_data):
    base = _base(mar_data)
    a = imputation.impute_chained(base, SCALES, ["wave"], "partnership_id", m=3, seed=5, iterations=3)
    b = imputation.impute_chained(base, SCALES, ["wave"], "partnership_id", m=3, seed=5, iterations=3)
    c = imputation.impute_chained(base, SCALES, ["wave"], "partnership_id", m=3, seed=6, iterations=3)
    for x, y in zip(a, b):
        pd.testing.assert_frame_equal(x, y)
    assert not a[0].equals(c[0])
    assert not a[0].equals(a[1])
    for copy in a:
        assert not copy[SCALES].isna().any().any()
        for col in SCALES:
            observed = base[col].notna()
            assert (copy.loc[observed, col] == base.loc[observed, col]).all()
            assert set(copy.loc[~observed, col]) <= set(base.loc[observed, col])
        pd.testing.assert_frame_equal(copy[["fac_hours", "wave", "region"]], base[["fac_hours", "wave", "region"]])


def test_cluster_means_leave_one_out():
    values = np.array([[1.0], [3.0], [5.0], [7.0]])
    out = imputation._cluster_means(values, np.array([0, 0, 0, 1]))
    assert out[:, 0].tolist() == [4.0, 3.0, 2.0, 4.0]  # singleton cluster: grand mean


def test_mi_model_covers_truth_on_mar_data(mar_data):
    spec = {
        "name": "conditions_mixed_mi",
        "formula": "DUR ~ REL + FAC + PRO + ORG + C(wave)",
        "family": "gaussian",
        "grouping": ["region", "partnership_id"],
        "estimator": "nested_reml",
        "imputation": {"m": 10, "seed": 20250, "iterations": 5, "auxiliary": ["fac_hours"]},
    }
    rows = fit_declared(spec, mar_data).set_index("term")
    assert rows["n_obs"].iloc[0] == len(mar_data)
    assert "Barnard-Rubin" in rows["method"].iloc[0] and "m=10" in rows["method"].iloc[0]
    for term, beta in TRUE_BETA.items():
        assert rows.loc[term, "ci_low"] <= beta <= rows.loc[term, "ci_high"], term
        assert np.sign(rows.loc[term, "estimate"]) == np.sign(beta)
    assert {"var_region", "icc_partnership", "design_effect"} <= set(rows.index)
    df = rows.loc["df_barnard_rubin:REL", "estimate"]
    assert 10 < df < len(mar_data)
    assert 0 < rows.loc["lambda:REL", "estimate"] < 1
    # t interval on the Barnard-Rubin df
    from scipy import stats

    half = stats.t.ppf(0.975, df) * rows.loc["REL", "std_error"]
    assert rows.loc["REL", "ci_high"] - rows.loc["REL", "estimate"] == pytest.approx(half)
