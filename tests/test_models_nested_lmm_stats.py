"""Sufficient statistics: one pass equals the naive per-group sums, pools across chunks, and the
bootstrap-by-reweighting equals refitting the expanded data (copies as distinct clusters)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import patsy
import pytest
from fixtures.nested_lmm import FORMULA, make_nested, statsmodels_fit
from hypothesis import given, settings
from hypothesis import strategies as st

from borgingsmonitor.models import nested_lmm as nl


def stats_of(df):
    y, X = patsy.dmatrices(FORMULA, df, return_type="dataframe")
    return nl.partnership_stats(y.iloc[:, 0], X, df["region"], df["partnership_id"])


def assert_same_result(a, b, rtol=1e-8):
    np.testing.assert_allclose(a.params, b.params, rtol=rtol, atol=1e-10)
    np.testing.assert_allclose(a.bse, b.bse, rtol=rtol)
    for comp in a.sigma2:
        np.testing.assert_allclose(a.sigma2[comp], b.sigma2[comp], rtol=rtol, atol=1e-12)
    assert a.loglik == pytest.approx(b.loglik, rel=1e-10)
    assert a.n_obs == b.n_obs and a.n_groups == b.n_groups


def test_stats_equal_naive_group_sums():
    df = make_nested(2)
    y, X = patsy.dmatrices(FORMULA, df, return_type="dataframe")
    stats = nl.partnership_stats(y.iloc[:, 0], X, df["region"], df["partnership_id"])
    assert stats.columns == tuple(X.columns)
    keys = list(zip(stats.region, stats.partnership))
    assert keys == sorted(set(zip(df["region"], df["partnership_id"])))
    for g, (region, pid) in enumerate(keys):
        rows = ((df["region"] == region) & (df["partnership_id"] == pid)).to_numpy()
        Xg, yg = X.to_numpy()[rows], y.to_numpy()[rows, 0]
        assert stats.n[g] == rows.sum()
        np.testing.assert_allclose(stats.xtx[g], Xg.T @ Xg, rtol=1e-12)
        np.testing.assert_allclose(stats.xty[g], Xg.T @ yg, rtol=1e-12)
        assert stats.yty[g] == pytest.approx(yg @ yg, rel=1e-12)
        np.testing.assert_allclose(stats.xt1[g], Xg.sum(axis=0), rtol=1e-12)
        assert stats.yt1[g] == pytest.approx(yg.sum(), rel=1e-12)


def test_same_partnership_id_in_two_regions_is_two_clusters():
    df = make_nested(2)
    df.loc[df["region"] == "regio-01", "partnership_id"] = "SAME"
    df.loc[df["region"] == "regio-02", "partnership_id"] = "SAME"
    stats = stats_of(df)
    assert list(zip(stats.region, stats.partnership)).count(("regio-01", "SAME")) == 1
    assert list(zip(stats.region, stats.partnership)).count(("regio-02", "SAME")) == 1


@settings(max_examples=15, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), split=st.floats(0.05, 0.95))
def test_row_order_and_chunking_do_not_matter(seed, split):
    df = make_nested(seed % 50, n=300)
    whole = stats_of(df)
    shuffled = df.sample(frac=1.0, random_state=seed)
    cut = int(split * len(df))
    pooled = stats_of(shuffled.iloc[:cut]) + stats_of(shuffled.iloc[cut:])
    assert list(pooled.partnership) == list(whole.partnership)
    np.testing.assert_allclose(pooled.zz, whole.zz, rtol=1e-10)
    np.testing.assert_allclose(pooled.sz, whole.sz, rtol=1e-10)
    np.testing.assert_array_equal(pooled.n, whole.n)
    assert_same_result(nl.fit_from_stats(pooled), nl.fit_from_stats(whole))


def test_pooling_refuses_conflicting_weights():
    df = make_nested(4)
    a = stats_of(df.iloc[:250])
    b = stats_of(df.iloc[250:]).weighted(np.full(len(stats_of(df.iloc[250:]).n), 2.0))
    with pytest.raises(ValueError, match="different weights"):
        a + b


def expand(df, weights, stats, region_weights=None):
    """The data set a bootstrap draw describes: each copy of a partnership (and of a region) is
    a new, distinct cluster."""
    parts = []
    for (region, pid), k in zip(zip(stats.region, stats.partnership), weights):
        rows = df[(df["region"] == region) & (df["partnership_id"] == pid)]
        for copy in range(int(k)):
            parts.append(rows.assign(partnership_id=f"{pid}#{copy}"))
    out = pd.concat(parts, ignore_index=True)
    if region_weights is not None:
        out = pd.concat(
            [
                out[out["region"] == r].assign(region=f"{r}#{copy}")
                for r, g in region_weights.items()
                for copy in range(int(g))
            ],
            ignore_index=True,
        )
    return out


@pytest.mark.parametrize("method", ["REML", "ML"])
@pytest.mark.parametrize("within_region", [False, True])
def test_bootstrap_reweighting_equals_expanded_data(method, within_region):
    df = make_nested(8)
    stats = stats_of(df)
    rng = np.random.default_rng(2025)
    weights = nl.resample_weights(stats, rng, within_region=within_region)
    assert weights.sum() == len(stats.n)
    assert weights.max() >= 2  # some partnership is drawn twice: two clusters, not one
    expanded = expand(df, weights, stats)
    direct = nl.fit_from_stats(stats.weighted(weights), method)
    refit = nl.fit_from_stats(stats_of(expanded), method)
    assert_same_result(direct, refit)
    assert direct.n_groups["partnership"] == len(stats.n)
    # and the naive refit of the expanded data with statsmodels
    ref = statsmodels_fit(expanded, reml=method == "REML")
    np.testing.assert_allclose(direct.params, ref["params"][direct.params.index], rtol=1e-6)
    np.testing.assert_allclose(direct.sigma2["partnership"], ref["sigma2"]["partnership"], rtol=1e-6)


def test_pooling_copies_into_one_cluster_is_not_the_same():
    """The approximation the weights avoid: a partnership drawn twice is not one twice-as-big one."""
    df = make_nested(8)
    stats = stats_of(df)
    weights = nl.resample_weights(stats, np.random.default_rng(2025))
    wrong = expand(df, weights, stats).assign(partnership_id=lambda d: d["partnership_id"].str.split("#").str[0])
    right = nl.fit_from_stats(stats.weighted(weights))
    pooled = nl.fit_from_stats(stats_of(wrong))
    assert pooled.n_obs == right.n_obs
    assert pooled.n_groups["partnership"] < right.n_groups["partnership"]
    assert abs(pooled.sigma2["partnership"] - right.sigma2["partnership"]) > 1e-4


def test_region_and_partnership_weights_equal_two_stage_expansion():
    df = make_nested(9, n_regions=5, n_partnerships=20, n=300)
    stats = stats_of(df)
    pweights = pd.Series(np.random.default_rng(1).integers(0, 3, len(stats.n)), index=stats.keys())
    rweights = {"regio-01": 2, "regio-02": 0, "regio-03": 1, "regio-04": 3, "regio-05": 1}
    direct = nl.fit_from_stats(stats.weighted(partnership=pweights, region=rweights))
    expanded = expand(df, pweights.to_numpy(), stats, region_weights=rweights)
    assert_same_result(direct, nl.fit_from_stats(stats_of(expanded)))


def test_weights_by_partnership_id_and_validation():
    df = make_nested(10)
    stats = stats_of(df)
    by_id = pd.Series(2.0, index=stats.partnership)
    doubled = stats.weighted(by_id)
    np.testing.assert_array_equal(doubled.weight, 2.0)
    assert doubled.n_obs == 2 * stats.n_obs
    with pytest.raises(ValueError, match="missing"):
        stats.weighted(by_id.iloc[1:])
    with pytest.raises(ValueError, match="non-negative"):
        stats.weighted(-np.ones(len(stats.n)))


def test_fit_nested_lmm_drops_incomplete_rows_listwise():
    df = make_nested(11)
    df["x1"] = df["x1"].mask(df.index % 17 == 0)
    df["partnership_id"] = df["partnership_id"].mask(df.index % 23 == 5)
    df["unused"] = np.nan  # not in the formula: never a reason to drop
    df["wave"] = df["wave"].astype("Int64")
    df.loc[3, "wave"] = pd.NA
    res = nl.fit_nested_lmm(FORMULA, df)
    complete = df.dropna(subset=["x1", "x2", "y", "wave", "region", "partnership_id"])
    assert res.n_dropped == len(df) - len(complete) > 0
    assert res.n_obs == len(complete)
    ref = nl.fit_nested_lmm(FORMULA, complete.assign(wave=complete["wave"].astype(int)).drop(columns="unused"))
    assert_same_result(res, ref, rtol=1e-10)
    assert list(res.params.index) == ["Intercept", "C(wave)[T.2024]", "C(wave)[T.2025]", "x1", "x2"]


def test_text_factor_names_match_patsy():
    df = make_nested(12)
    df["role"] = np.where(df.index % 3 == 0, "Docent", "Teamleider")
    formula = "y ~ x1 + C(wave) + role + C(wave):x2"
    res = nl.fit_nested_lmm(formula, df)
    _, X = patsy.dmatrices(formula, df, return_type="dataframe")
    assert list(res.params.index) == list(X.columns)


def test_rank_deficient_design_is_an_error():
    df = make_nested(13).assign(x3=lambda d: 2 * d["x1"])
    with pytest.raises(ValueError, match="rank deficient"):
        nl.fit_nested_lmm("y ~ x1 + x3", df)


def test_a_layout_made_once_gives_each_new_y_the_statistics_of_a_plain_pass():
    """The network-dip bootstrap groups the rows once and reuses that for every simulated y: each
    draw's cell statistics must equal a plain per-cell computation on that y."""
    rng = np.random.default_rng(3)
    n = 400
    region = rng.choice(["b", "a", "c"], n)
    partnership = rng.choice(["p2", "p1", "p10", "p3"], n)  # the same id in two regions is two cells
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 3, n)])
    layout = nl.cell_layout({"region": region, "partnership": partnership}, n)
    for _ in range(3):
        y = rng.normal(size=n)
        stats = layout.stats(y, X)
        Z = np.column_stack([X, y])
        for g, (r, p) in enumerate(stats.labels):
            rows = Z[(region == r) & (partnership == p)]
            assert stats.n[g] == len(rows)
            np.testing.assert_allclose(stats.zz[g], rows.T @ rows, rtol=1e-12)
            np.testing.assert_allclose(stats.sz[g], rows.sum(axis=0), rtol=1e-12)
        assert len(stats.n) == len({(r, p) for r, p in zip(region, partnership)})
        np.testing.assert_array_equal(stats.zz, nl.cell_stats(y, X, {"region": region, "partnership": partnership}).zz)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 120),
    k=st.integers(1, 4),
    n_regions=st.integers(1, 3),
    n_partnerships=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_fixed_design_gives_each_new_y_the_statistics_of_a_plain_pass(n, k, n_regions, n_partnerships, seed):
    """The network-dip bootstrap forms X'X once (FixedDesign) and only X'y, y'y and 1'y per draw: the
    statistics equal the plain pass over [X, y] to rounding, and a selection of columns equals the
    plain pass over those columns."""
    rng = np.random.default_rng(seed)
    region = rng.choice([f"r{i}" for i in range(n_regions)], n)
    partnership = rng.choice([f"p{i}" for i in range(n_partnerships)], n)
    X = pd.DataFrame(rng.normal(size=(n, k)) * 10.0 ** rng.integers(-3, 4, k), columns=[f"c{i}" for i in range(k)])
    layout = nl.cell_layout({"region": region, "partnership": partnership}, n)
    design = nl.FixedDesign.of(layout, X)
    for _ in range(2):
        y = rng.normal(size=n) * 100
        fast, plain = design.stats(y), layout.stats(y, X)
        assert fast.columns == plain.columns and fast.levels == plain.levels
        np.testing.assert_array_equal(fast.labels, plain.labels)
        np.testing.assert_array_equal(fast.n, plain.n)
        np.testing.assert_array_equal(fast.weights, plain.weights)
        scale = np.abs(plain.zz).max()
        np.testing.assert_allclose(fast.zz, plain.zz, rtol=1e-12, atol=1e-12 * scale)
        np.testing.assert_allclose(fast.sz, plain.sz, rtol=1e-12, atol=1e-12 * np.abs(plain.sz).max())
        some = list(X.columns[::-2])
        chosen = layout.stats(y, X[some])
        np.testing.assert_allclose(fast.select(some).zz, chosen.zz, rtol=1e-12, atol=1e-12 * scale)
        assert fast.select(some).columns == chosen.columns
