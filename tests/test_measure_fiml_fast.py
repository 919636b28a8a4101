"""The FIML building blocks give the same bits as the plain implementation they replaced (grouping rows
by masks, scipy's cho_factor/cho_solve, index arrays made anew for every pattern and evaluation)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import linalg

from borgingsmonitor.measure import fiml


# --- the implementation before the speed-up, as reference
def _ref_patterns(x):
    seen = np.isfinite(x)
    keep = seen.any(axis=1)
    x, seen = x[keep], seen[keep]
    keys, inverse = np.unique(seen, axis=0, return_inverse=True)
    patterns = []
    for g, key in enumerate(keys):
        obs = np.flatnonzero(key)
        rows = x[inverse.ravel() == g][:, obs]
        mean = rows.mean(axis=0)
        centred = rows - mean
        patterns.append(fiml.Pattern(obs, len(rows), mean, centred.T @ centred / len(rows)))
    return patterns


def _ref_minus2_loglik(patterns, mu, sigma, grad=False):
    total, g_mu, g_sigma = 0.0, np.zeros_like(mu), np.zeros_like(sigma)
    for pat in patterns:
        o = pat.observed
        s = sigma[np.ix_(o, o)]
        try:
            chol = linalg.cho_factor(s, lower=True)
        except linalg.LinAlgError:
            return (np.inf, None, None) if grad else np.inf
        d = pat.mean - mu[o]
        c = pat.cov + np.outer(d, d)
        inv = linalg.cho_solve(chol, np.eye(len(o)))
        logdet = 2 * np.sum(np.log(np.diag(chol[0])))
        total += pat.n * (len(o) * fiml.LOG_2PI + logdet + np.sum(inv * c))
        if grad:
            g_mu[o] -= 2 * pat.n * inv @ d
            g_sigma[np.ix_(o, o)] += pat.n * (inv - inv @ c @ inv)
    return (total, g_mu, g_sigma) if grad else total


def _ref_em(patterns, p, tol=1e-12, max_iter=5000):
    n = sum(pat.n for pat in patterns)
    mu = sum(np.bincount(pat.observed, pat.n * pat.mean, p) for pat in patterns) / sum(
        np.bincount(pat.observed, np.full(len(pat.observed), pat.n), p) for pat in patterns
    )
    sigma = np.eye(p)
    for _ in range(max_iter):
        t1, t2 = np.zeros(p), np.zeros((p, p))
        for pat in patterns:
            o = pat.observed
            m = np.setdiff1d(np.arange(p), o)
            K, k = np.zeros((p, len(o))), np.zeros(p)
            K[o, np.arange(len(o))] = 1.0
            extra = np.zeros((p, p))
            if len(m):
                B = sigma[np.ix_(m, o)] @ np.linalg.inv(sigma[np.ix_(o, o)])
                K[m] = B
                k[m] = mu[m] - B @ mu[o]
                extra[np.ix_(m, m)] = sigma[np.ix_(m, m)] - B @ sigma[np.ix_(o, m)]
            ez = K @ pat.mean + k
            t1 += pat.n * ez
            t2 += pat.n * (K @ pat.cov @ K.T + np.outer(ez, ez) + extra)
        new_mu = t1 / n
        new_sigma = t2 / n - np.outer(new_mu, new_mu)
        change = max(np.max(np.abs(new_mu - mu)), np.max(np.abs(new_sigma - sigma)))
        mu, sigma = new_mu, new_sigma
        if change < tol:
            break
    return mu, sigma


def _bits(a):
    return np.asarray(a, dtype="float64").tobytes()


def _same_patterns(ours, ref):
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        assert np.array_equal(a.observed, b.observed) and a.n == b.n
        assert _bits(a.mean) == _bits(b.mean) and _bits(a.cov) == _bits(b.cov)


def _outcome(em, *args, **kwargs):
    """EM's estimates, or NaNs where a singular covariance stops it (tiny samples)."""
    try:
        with np.errstate(all="ignore"):
            return em(*args, **kwargs)
    except np.linalg.LinAlgError:
        return np.full(1, np.nan), np.full(1, np.nan)


@st.composite
def responses(draw, max_items=8):
    """Correlated Likert-like or continuous answers with item-specific missingness (some rows empty)."""
    p = draw(st.integers(1, max_items))
    n = draw(st.integers(1, 200))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 1)) + rng.normal(size=(n, p))
    if draw(st.booleans()):
        x = np.clip(np.round(3 + x), 1, 5)
    rates = rng.uniform(0, draw(st.sampled_from([0.0, 0.1, 0.5, 0.9])), size=p)
    x[rng.random((n, p)) < rates] = np.nan
    return x


@settings(max_examples=40, deadline=None)
@given(responses())
def test_patterns_em_and_likelihood_are_the_plain_ones(x):
    p = x.shape[1]
    ours, ref = fiml.missing_patterns(x), _ref_patterns(x)
    _same_patterns(ours, ref)
    if not ours:
        return
    mu, sigma = _outcome(fiml.em_saturated, ours, p, max_iter=50)
    ref_mu, ref_sigma = _outcome(_ref_em, ref, p, max_iter=50)
    assert _bits(mu) == _bits(ref_mu) and _bits(sigma) == _bits(ref_sigma)
    if not np.isfinite(sigma).all():
        return  # too few answers for the saturated model; both sides agree on that much
    trial = sigma + np.eye(p) * 0.1  # positive definite whatever EM gave
    value, g_mu, g_sigma = fiml.minus2_loglik(ours, mu, trial, grad=True)
    ref_value, ref_g_mu, ref_g_sigma = _ref_minus2_loglik(ref, ref_mu, trial, grad=True)
    assert _bits(value) == _bits(ref_value) and _bits(g_mu) == _bits(ref_g_mu) and _bits(g_sigma) == _bits(ref_g_sigma)
    assert _bits(fiml.minus2_loglik(ours, mu, trial)) == _bits(ref_value)
    with_layout = fiml.minus2_loglik(ours, mu, trial, True, fiml.Layout(ours))
    assert [_bits(a) for a in with_layout] == [_bits(ref_value), _bits(ref_g_mu), _bits(ref_g_sigma)]


def test_more_items_than_one_integer_holds():
    """Over 64 items the patterns are found by np.unique on the rows: still the plain ones."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 70))
    x[rng.random(x.shape) < 0.02] = np.nan
    _same_patterns(fiml.missing_patterns(x), _ref_patterns(x))


def test_pattern_order_is_lexicographic_in_the_items():
    """The first item is the most significant: rows missing it come before rows that answered it."""
    x = np.array([[1.0, np.nan, 2.0], [np.nan, 1.0, 1.0], [1.0, 2.0, np.nan], [2.0, 1.0, 3.0], [np.nan] * 3])
    assert [list(p.observed) for p in fiml.missing_patterns(x)] == [[1, 2], [0, 2], [0, 1], [0, 1, 2]]


def test_likelihood_outside_the_parameter_space():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(50, 3))
    x[rng.random(x.shape) < 0.2] = np.nan
    patterns = fiml.missing_patterns(x)
    mu, indefinite = np.zeros(3), np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert fiml.minus2_loglik(patterns, mu, indefinite) == _ref_minus2_loglik(patterns, mu, indefinite) == np.inf
    assert fiml.minus2_loglik(patterns, mu, indefinite, grad=True)[0] == np.inf
    with pytest.raises(ValueError):
        fiml.minus2_loglik(patterns, mu, np.full((3, 3), np.nan))
    with pytest.raises(ValueError):
        _ref_minus2_loglik(patterns, mu, np.full((3, 3), np.nan))
