"""The fast chained-equation imputation gives the same draws as the plain implementation."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borgingsmonitor.models import declared, imputation, mixed
from borgingsmonitor.synthetic.simulate import simulate_clean

SPEC = {
    "name": "mi",
    "formula": "DUR ~ REL + FAC + PRO + ORG + C(wave)",
    "family": "gaussian",
    "grouping": ["region", "partnership_id"],
    "estimator": "nested_reml",
    "imputation": {"m": 2, "seed": 7, "iterations": 3, "auxiliary": ["fac_hours", "years_involved"]},
}


# --- the implementation before the speed-up (explicit X, statsmodels-free OLS draw), as reference
def _ref_draw(X, y, rng):
    n, p = X.shape
    xtx_inv = np.linalg.pinv(X.T @ X)
    beta_hat = xtx_inv @ X.T @ y
    resid = y - X @ beta_hat
    sigma2 = float(resid @ resid) / rng.chisquare(max(n - p, 1))
    chol = np.linalg.cholesky(sigma2 * xtx_inv + 1e-12 * np.eye(p))
    return beta_hat + chol @ rng.standard_normal(p), beta_hat


def _ref_pmm(y_obs, yhat_obs, yhat_mis, donors, rng, chunk=2000):
    k = min(donors, len(y_obs))
    n_obs = len(y_obs)
    order = np.argsort(yhat_obs, kind="stable")
    sorted_hat = yhat_obs[order]
    out = np.empty(len(yhat_mis))
    for start in range(0, len(yhat_mis), chunk):
        part = yhat_mis[start : start + chunk]
        first = np.clip(np.searchsorted(sorted_hat, part) - k, 0, max(n_obs - 2 * k, 0))
        window = first[:, None] + np.arange(min(2 * k, n_obs))[None, :]
        dist = np.abs(part[:, None] - sorted_hat[window])
        nearest = order[np.take_along_axis(window, np.argpartition(dist, k - 1, axis=1)[:, :k], axis=1)]
        nearest = np.sort(nearest, axis=1)
        out[start : start + chunk] = y_obs[nearest[np.arange(len(part)), rng.integers(0, k, size=len(part))]]
    return out


def _ref_impute(base, impute, categorical, cluster, m, seed, iterations, donors=5):
    dummies = pd.get_dummies(base[categorical].astype(str), drop_first=True, dtype=float).to_numpy()
    groups = pd.factorize(base[cluster].astype(str), sort=True)[0]
    missing = {v: base[v].isna().to_numpy() for v in impute}
    targets = [v for v in impute if missing[v].any()]
    out = []
    for child in np.random.SeedSequence(seed).spawn(m):
        rng = np.random.default_rng(child)
        cur = base[impute].astype(float).copy()
        for v in targets:
            observed = cur.loc[~missing[v], v].to_numpy()
            cur.loc[missing[v], v] = rng.choice(observed, size=missing[v].sum())
        for _ in range(iterations):
            for v in targets:
                miss = missing[v]
                means = imputation._cluster_means(cur.to_numpy(), groups)
                others = [c for c in cur.columns if c != v]
                X = np.column_stack([np.ones(len(cur)), cur[others].to_numpy(), dummies, means])
                y = cur[v].to_numpy()
                beta_star, beta_hat = _ref_draw(X[~miss], y[~miss], rng)
                new = y.copy()
                new[miss] = _ref_pmm(y[~miss], X[~miss] @ beta_hat, X[miss] @ beta_star, donors, rng)
                cur[v] = new
        out.append(cur.to_numpy())
    return out


@pytest.fixture(scope="module")
def large():
    """30,000 rows: few missing scale scores (the candidate-row PMM path) and 10% missing fac_hours."""
    data, _ = simulate_clean(30_000, n_regions=6, n_partnerships=40, seed=3)
    base, impute = declared.imputation_base(declared.check_spec(SPEC), data)
    return base, impute


def test_same_draws_as_the_plain_implementation(large):
    base, impute = large
    fast = list(imputation.impute_arrays(base, impute, ["wave"], "partnership_id", m=2, seed=7, iterations=3))
    ref = _ref_impute(base, impute, ["wave"], "partnership_id", m=2, seed=7, iterations=3)
    missing = base[impute].isna().to_numpy()
    assert missing[:, impute.index("fac_hours")].mean() > 0.05 and 0 < missing[:, 0].sum() < len(base) / 100
    for a, b in zip(fast, ref):
        assert np.isfinite(a).all()
        np.testing.assert_array_equal(a[~missing], base[impute].to_numpy(float)[~missing])
        # identical draws; a flip of a donor on a near-exact tie would show as a large difference
        assert np.mean(a[missing] == b[missing]) > 0.999
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


def test_impute_arrays_is_a_seeded_generator(large):
    base, impute = large
    small = base.iloc[:3000]
    gen = imputation.impute_arrays(small, impute, ["wave"], "partnership_id", m=2, seed=1, iterations=2)
    assert not isinstance(gen, list)
    a, b = (
        list(gen),
        list(imputation.impute_arrays(small, impute, ["wave"], "partnership_id", m=2, seed=1, iterations=2)),
    )
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], a[1])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-50, 50, allow_nan=False, width=32), min_size=0, max_size=300),
    st.integers(0, 3),
)
def test_stable_argsort_matches_numpy(values, decimals):
    x = np.round(np.asarray(values, dtype=float), decimals)  # rounding makes ties
    x[::7] = -0.0 if len(x) else x[::7]
    np.testing.assert_array_equal(imputation._stable_argsort(x), np.argsort(x, kind="stable"))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 40), st.sampled_from([0, 1, 2, 6]))
def test_candidate_rows_give_the_full_sort_windows(seed, k, n_mis, decimals):
    rng = np.random.default_rng(seed)
    obs = rng.normal(3, 1, 4000)
    obs = np.round(obs, decimals) if decimals < 6 else obs
    mis = np.r_[rng.normal(3, 1.5, n_mis), obs.min() - 1, obs.max() + 1, obs[:2]]
    found = imputation._candidate_rows(obs, mis, k)
    assert found is not None
    order, sorted_hat, first = found
    full_order = np.argsort(obs, kind="stable")
    full_first = np.clip(np.searchsorted(obs[full_order], mis) - k, 0, len(obs) - 2 * k)
    span = np.arange(2 * k)
    np.testing.assert_array_equal(order[first[:, None] + span], full_order[full_first[:, None] + span])
    np.testing.assert_array_equal(sorted_hat, obs[order])


def test_fast_copy_fits_equal_the_nested_reml_fit(large):
    base, impute = large
    spec = declared.check_spec(SPEC)
    values = next(imputation.impute_arrays(base, impute, ["wave"], "partnership_id", m=1, seed=2, iterations=1))
    rows = base.copy()
    rows[impute] = values
    fast = declared._NestedCopies.build(spec, rows, impute)
    assert fast is not None and set(fast.varying) == {"REL", "FAC", "PRO", "ORG"}
    other = rows.copy()
    other[impute] = values[::-1]
    for copy in (rows, other):
        got = fast.fit(copy)
        want = mixed.fit_nested_reml(spec["formula"], copy)
        pd.testing.assert_series_equal(got.params, want.params, rtol=1e-10, atol=1e-12)
        pd.testing.assert_series_equal(got.bse, want.bse, rtol=1e-9, atol=1e-12)
        assert got.sigma2 == pytest.approx(want.sigma2, rel=1e-8)
        assert got.n_groups == want.n_groups and got.method == want.method


def test_transformed_imputed_terms_take_the_general_path(large):
    base, impute = large
    spec = declared.check_spec({**SPEC, "formula": "DUR ~ REL + I(FAC ** 2) + C(wave)"})
    rows = base.fillna(3.0)
    assert declared._NestedCopies.build(spec, rows, impute) is None
    fit, note = declared._copy_fitter(spec, rows, impute)(rows)
    assert "I(FAC ** 2)" in fit.params.index and note == ""


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(0, 3000),
    st.integers(0, 2000),
    st.sampled_from([0, 1, 6]),
    st.sampled_from(["left", "right"]),
)
def test_searchsorted_in_key_order_matches_numpy(seed, n_values, n_keys, decimals, side):
    """The PMM looks up its keys in sorted order (`_searchsorted`): the same positions as numpy's,
    ties and keys outside the range included."""
    rng = np.random.default_rng(seed)
    values = np.sort(np.round(rng.normal(0, 2, n_values), decimals))
    keys = np.round(rng.normal(0, 3, n_keys), decimals)
    keys[::5] = values[rng.integers(0, n_values, len(keys[::5]))] if n_values else keys[::5]
    np.testing.assert_array_equal(imputation._searchsorted(values, keys, side), np.searchsorted(values, keys, side))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-50, 50, allow_nan=False, width=32), min_size=0, max_size=300), st.integers(0, 3))
def test_stable_sort_returns_the_values_in_that_order(values, decimals):
    x = np.round(np.asarray(values, dtype=float), decimals)
    order, ranked = imputation._stable_sort(x)
    np.testing.assert_array_equal(order, np.argsort(x, kind="stable"))
    np.testing.assert_array_equal(ranked, x[order])


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 300), st.sampled_from([0, 1, 2, 8]))
def test_closest_picks_the_argpartition_set(seed, k, m, decimals):
    """The PMM's k nearest of 2k sorted candidates (`_closest`, a run of the window) are the set
    np.argpartition picks, ties (rounded values, duplicates) included."""
    rng = np.random.default_rng(seed)
    window = np.sort(np.round(rng.normal(0, 1, (m, 2 * k)), decimals), axis=1)
    x = np.round(rng.normal(0, 1.2, (m, 1)), decimals)
    x[::3] = window[::3, [k - 1]]
    dist = np.abs(x - window)
    fast = np.sort(imputation._closest(dist, k), axis=1)
    plain = np.sort(np.argpartition(dist, k - 1, axis=1)[:, :k], axis=1)
    np.testing.assert_array_equal(fast, plain)
