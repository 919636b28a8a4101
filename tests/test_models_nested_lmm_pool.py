"""The innermost level pooled into classes (equal parent, n and weights) is the same likelihood as
the cell-by-cell recursion: values, gradients, Q and its derivatives, and the fits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borgingsmonitor.models import nested_lmm as nl


def respondent_stats(seed: int, n_rows: int, depth: int, weights: bool):
    """Persons answering 1-3 times within clusters (within regions when depth 3)."""
    rng = np.random.default_rng(seed)
    n_clusters = 4
    sizes = rng.integers(1, 4, n_rows // 2)
    person = np.repeat(np.arange(len(sizes)), sizes)
    cluster = rng.integers(0, n_clusters, len(sizes))[person]
    n = len(person)
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 2, n)])
    y = X @ [1.0, 0.4, -0.3] + rng.normal(size=n_clusters)[cluster] + 0.6 * rng.normal(size=len(sizes))[person]
    y = y + rng.normal(size=n)
    groups = {"cluster": cluster, "person": person}
    if depth == 3:
        groups = {"region": cluster % 2, **groups}
    stats = nl.cell_stats(y, X, groups)
    if weights:  # bootstrap multiplicities, zeros included, at the two inner levels
        inner = rng.integers(0, 3, len(stats.n)).astype(float)
        inner[0] = 1.0
        outer = {c: float(rng.integers(1, 3)) for c in np.unique(stats.labels[:, -2])}
        stats = stats.weighted(person=inner, cluster=outer)
    return stats


@pytest.fixture(autouse=True, scope="module")
def pool_small_models():
    """These data have a few hundred cells: below POOL_MIN_CELLS they would not be pooled."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(nl, "POOL_MIN_CELLS", 0)
        yield


def test_small_models_are_not_pooled(monkeypatch):
    monkeypatch.setattr(nl, "POOL_MIN_CELLS", 5000)
    stats = respondent_stats(1, 400, 3, weights=False)
    assert nl._Profile(stats, "REML").pool is None
    monkeypatch.setattr(nl, "POOL_MIN_CELLS", len(stats.n))
    assert nl._Profile(stats, "REML").pool is not None


def unpooled(prof):
    prof.pool = None
    return prof


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_rows=st.integers(150, 400),
    depth=st.sampled_from([2, 3]),
    weights=st.booleans(),
    method=st.sampled_from(nl.METHODS),
    log_t=st.lists(st.floats(-6, 3), min_size=3, max_size=3),
    zero=st.integers(-1, 2),
)
def test_pooled_likelihood_equals_cell_by_cell(seed, n_rows, depth, weights, method, log_t, zero):
    stats = respondent_stats(seed, n_rows, depth, weights)
    pooled = nl._Profile(stats, method)
    assert pooled.pool is not None  # respondents answer 1-4 times: far fewer classes than cells
    plain = unpooled(nl._Profile(stats, method))
    t = np.exp(log_t[:depth])
    if zero < depth and zero >= 0:
        t[zero] = 0.0  # a boundary face
    v1, g1 = pooled.criterion(t, grad=True)
    v0, g0 = plain.criterion(t, grad=True)
    assert v1 == pytest.approx(v0, rel=1e-11)
    np.testing.assert_allclose(g1, g0, rtol=1e-7, atol=1e-8 * max(1.0, np.max(np.abs(g0))))
    s1, s0 = pooled.solve(t, deriv=True), plain.solve(t, deriv=True)
    scale = np.max(np.abs(s0["Q"]))
    np.testing.assert_allclose(s1["Q"], s0["Q"], atol=1e-11 * scale)
    np.testing.assert_allclose(s1["dQ"], s0["dQ"], atol=1e-10 * max(scale, np.max(np.abs(s0["dQ"]))))
    np.testing.assert_allclose(s1["dld"], s0["dld"], rtol=1e-10, atol=1e-10)
    assert s1["logdet"] == pytest.approx(s0["logdet"], rel=1e-11, abs=1e-9)


@pytest.mark.parametrize("method", nl.METHODS)
@pytest.mark.parametrize("ddf", ["satterthwaite", "kenward_roger"])
def test_pooled_fit_equals_cell_by_cell(method, ddf, monkeypatch):
    if ddf == "kenward_roger" and method == "ML":
        pytest.skip("Kenward-Roger needs REML")
    stats = respondent_stats(5, 900, 3, weights=False)
    assert nl._Profile(stats, method).pool is not None
    fast = nl.fit_from_stats(stats, method, ddf=ddf)
    monkeypatch.setattr(nl, "POOL_RATIO", -1.0)
    assert nl._Profile(stats, method).pool is None
    slow = nl.fit_from_stats(stats, method, ddf=ddf)
    np.testing.assert_allclose(fast.params, slow.params, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fast.bse, slow.bse, rtol=1e-7)
    np.testing.assert_allclose(fast.df, slow.df, rtol=1e-6)
    for name, value in slow.sigma2.items():
        assert fast.sigma2[name] == pytest.approx(value, rel=1e-6, abs=1e-10)
    assert fast.loglik == pytest.approx(slow.loglik, rel=1e-12)


def test_cells_of_distinct_sizes_are_not_pooled():
    # partnership-waves of (almost) all different sizes: a class per cell gains nothing
    rng = np.random.default_rng(2)
    sizes = rng.permutation(np.arange(5, 45))
    part = np.repeat(np.arange(len(sizes)), sizes)
    X = np.column_stack([np.ones(len(part)), rng.normal(size=len(part))])
    y = X @ [1.0, 0.5] + rng.normal(size=len(part))
    stats = nl.cell_stats(y, X, {"region": part % 4, "partnership": part})
    assert nl._Profile(stats, "REML").pool is None


@settings(max_examples=30, deadline=None)
@given(counts=st.lists(st.integers(1, 3 * nl.SMALL_CELL), min_size=1, max_size=60), seed=st.integers(0, 99))
def test_cell_products_equal_one_product_per_cell(counts, seed):
    counts = np.array(counts)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    rows = np.random.default_rng(seed).normal(size=(counts.sum(), 5))
    expected = np.stack([rows[s : s + c].T @ rows[s : s + c] for s, c in zip(starts, counts)])
    np.testing.assert_array_equal(nl._cell_products(rows, starts, counts), expected)


@settings(max_examples=30, deadline=None)
@given(
    counts=st.lists(st.integers(1, 3 * nl.SMALL_CELL), min_size=1, max_size=80),
    seed=st.integers(0, 99),
    batch=st.integers(1, 400),
)
def test_summed_cell_products_equal_the_profiles_weighted_sum_bit_for_bit(counts, seed, batch):
    counts = np.array(counts)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    rows = np.random.default_rng(seed).normal(size=(counts.sum(), 5)) * 10.0 ** np.arange(-3, 2)
    expected = np.einsum("g,gij->ij", np.ones(len(counts)), nl._cell_products(rows, starts, counts))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(nl, "BATCH_ELEMENTS", batch)  # batches of down to one cell
        np.testing.assert_array_equal(nl._summed_cell_products(rows, starts, counts), expected)


@pytest.mark.parametrize("seed, depth", [(1, 2), (7, 3), (11, 3)])
def test_a_fit_from_summed_products_is_the_fit_from_cell_products(seed, depth, monkeypatch):
    """fit_nested_lmm keeps only the sum of the cells' products (a million respondents' 16 x 16
    blocks are 600 MB): the fit is the same, bit for bit, in several batches or one."""
    monkeypatch.setattr(nl, "BATCH_ELEMENTS", 200)
    rng = np.random.default_rng(seed)
    stats = respondent_stats(seed, 1200, depth, weights=False)
    assert stats.zz is not None and stats.zz_total is None
    sizes = stats.n.astype(int)
    cell = np.repeat(np.arange(len(sizes)), sizes)
    X = np.column_stack([np.ones(len(cell)), rng.normal(size=len(cell))])
    y = X @ [0.5, 0.2] + rng.normal(size=len(sizes))[cell] + rng.normal(size=len(cell))
    groups = {name: stats.labels[cell, lev] for lev, name in enumerate(stats.levels)}
    full = nl.fit_from_stats(nl.cell_stats(y, X, groups), "REML")
    lean_stats = nl.cell_stats(y, X, groups, per_cell=False)
    assert lean_stats.zz is None
    lean = nl.fit_from_stats(lean_stats, "REML")
    for name in ("params", "bse", "df"):
        np.testing.assert_array_equal(getattr(lean, name), getattr(full, name))
    assert lean.loglik == full.loglik and lean.sigma2 == full.sigma2


def test_summed_products_cannot_be_reweighted():
    stats = respondent_stats(3, 300, 2, weights=False)
    sizes = stats.n.astype(int)
    cell = np.repeat(np.arange(len(sizes)), sizes)
    groups = {name: stats.labels[cell, lev] for lev, name in enumerate(stats.levels)}
    X = np.ones((len(cell), 1))
    lean = nl.cell_stats(np.arange(len(cell), dtype=float), X, groups, per_cell=False)
    with pytest.raises(ValueError, match="per_cell=True"):
        nl.fit_from_stats(lean.weighted(person=np.r_[2.0, np.ones(len(sizes) - 1)]), "REML")
