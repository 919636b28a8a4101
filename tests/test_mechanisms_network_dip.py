"""H6 network dip: the natural spline basis, the LRT and the adjusted curve."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borgingsmonitor.mechanisms import network_dip as nd
from borgingsmonitor.models.table import MODEL_COLUMNS
from fixtures.mechanisms import dip_curve, linear_curve, simulate_responses


@pytest.fixture(scope="module")
def dip_result():
    return nd.network_dip(simulate_responses(30, 48, seed=3, age_effect=dip_curve))


@pytest.fixture(scope="module")
def linear_result():
    return nd.network_dip(simulate_responses(30, 48, seed=3, age_effect=linear_curve))


def test_detects_simulated_dip(dip_result):
    assert dip_result["lrt"]["df"] == 2
    assert dip_result["lrt"]["p_value"] < 1e-4
    curve = dip_result["curve"]
    # the curve is lower in the dip (ages 2-4) than at the oldest ages
    dip = curve[curve["partnership_age"].between(2, 4)]["estimate"].astype(float).mean()
    late = curve[curve["partnership_age"] >= 8]["estimate"].astype(float).mean()
    assert late - dip > 0.2


def test_no_dip_on_linear_trend(linear_result):
    assert linear_result["lrt"]["p_value"] > 0.05
    rows = linear_result["rows"].set_index("term")
    low, high = rows.loc["linear:age_linear", ["ci_low", "ci_high"]]
    assert low <= 0.08 <= high
    curve = linear_result["curve"]
    slope = np.diff(curve["estimate"].astype(float)) / np.diff(curve["partnership_age"])
    np.testing.assert_allclose(slope, 0.08, atol=0.05)


def test_model_rows_format(dip_result):
    rows = dip_result["rows"]
    assert list(rows.columns) == MODEL_COLUMNS
    assert (rows["model"] == "network_dip").all()
    assert rows["term"].is_unique
    lrt = rows.set_index("term").loc["lrt_spline_vs_linear"]
    assert lrt["estimate"] == pytest.approx(dip_result["lrt"]["chi2"])
    assert lrt["p_value"] == pytest.approx(dip_result["lrt"]["p_value"])
    fits = dip_result["fit_spline"], dip_result["fit_linear"]
    assert lrt["estimate"] == pytest.approx(2 * (fits[0].loglik - fits[1].loglik))


def test_curve_columns_and_ci(dip_result):
    curve = dip_result["curve"]
    assert list(curve.columns[:4]) == nd.CURVE_COLUMNS
    shown = curve[~curve["suppressed"]]
    assert (shown["ci_low"] < shown["estimate"]).all() and (shown["estimate"] < shown["ci_high"]).all()
    assert curve["partnership_age"].is_monotonic_increasing


def test_curve_csv_writes_booleans_as_the_contract_says(dip_result, tmp_path):
    nd.write_curve(dip_result["curve"], tmp_path / "network_dip.csv")
    suppressed = pd.read_csv(tmp_path / "network_dip.csv", dtype=str)["suppressed"]
    assert set(suppressed) <= {"true", "false"} and len(suppressed) == len(dip_result["curve"])


def test_small_age_groups_are_suppressed():
    data = simulate_responses(10, 12, seed=5)
    oldest = data["partnership_age"].max()
    keep = (data["partnership_age"] != oldest) | (data.groupby("partnership_age").cumcount() < 3)
    curve = nd.network_dip(data[keep.to_numpy()], min_group_size=5)["curve"].set_index("partnership_age")
    assert curve.loc[oldest, "n"] == 3
    assert bool(curve.loc[oldest, "suppressed"])
    assert pd.isna(curve.loc[oldest, "estimate"]) and pd.isna(curve.loc[oldest, "ci_low"])
    assert not curve.drop(index=oldest)["suppressed"].any()


def test_knots_fall_back_to_equal_spacing_on_ties():
    age = np.array([0] * 50 + [1] * 50 + [6])
    knots = nd.spline_knots(age, df=3)
    assert knots[0] == 0 and knots[-1] == 6
    assert np.all(np.diff(knots) > 0)
    with pytest.raises(ValueError):
        nd.spline_knots(np.array([3, 3, 3]))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 30), min_size=4, max_size=40, unique=True))
def test_spline_basis_is_natural(ages):
    knots = nd.spline_knots(np.array(ages), df=3)
    grid = np.linspace(knots[-1], knots[-1] + 10, 11)
    basis = nd.spline_basis(grid, knots)
    # linear beyond the boundary knots: second differences vanish
    np.testing.assert_allclose(np.diff(basis, n=2, axis=0), 0, atol=1e-8)
    left = nd.spline_basis(np.linspace(knots[0] - 10, knots[0], 11), knots)
    np.testing.assert_allclose(np.diff(left, n=2, axis=0), 0, atol=1e-8)
    # the first column is age itself, so the linear model is nested in the spline model
    np.testing.assert_allclose(nd.spline_basis(np.array(ages), knots)[:, 0], ages)
