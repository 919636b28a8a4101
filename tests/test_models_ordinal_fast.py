"""Analytic Newton-Raphson path of the ordinal model: derivatives, sandwich, agreement with statsmodels."""

import numpy as np
import pandas as pd
import pytest
from fixtures.example import ingest_and_clean
from fixtures.models import simulate_clean
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.sandwich_covariance import cov_cluster

from borgingsmonitor.models import mixed, ordinal

FORMULA = "dur_continue ~ REL + FAC + PRO + ORG + C(wave)"
COLUMNS = ["estimate", "std_error", "ci_low", "ci_high", "p_value"]


@pytest.fixture(scope="module")
def rows():
    data = simulate_clean(seed=33, n_regions=5, partnerships_per_region=8, respondents=12)
    return mixed.complete_rows(FORMULA, data, ["partnership_id"])


def arrays(rows):
    endog, exog = ordinal.design(FORMULA, rows)
    groups = pd.factorize(rows["partnership_id"].astype(str), sort=True)[0]
    return endog.cat.codes.to_numpy(), exog.to_numpy(dtype=float), groups


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    distr=st.sampled_from(ordinal.DISTRIBUTIONS),
    beta=st.lists(st.floats(-1.5, 1.5), min_size=2, max_size=2),
    first=st.floats(-2, 1),
    gaps=st.lists(st.floats(0.1, 2), min_size=2, max_size=2),
)
def test_analytic_gradient_and_hessian_match_finite_differences(seed, distr, beta, first, gaps):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(200, 2))
    codes = rng.integers(0, 4, 200)
    params = np.concatenate([beta, np.cumsum([first, *gaps])])

    def split(p):
        return p[:2], p[2:]

    _, grad, hess = ordinal.derivatives(codes, x, *split(params), distr)
    eps = 1e-5
    num_grad = [
        (
            ordinal.loglik(codes, x, *split(params + eps * e), distr)
            - ordinal.loglik(codes, x, *split(params - eps * e), distr)
        )
        / (2 * eps)
        for e in np.eye(len(params))
    ]
    num_hess = np.column_stack(
        [
            (
                ordinal.derivatives(codes, x, *split(params + eps * e), distr)[1]
                - ordinal.derivatives(codes, x, *split(params - eps * e), distr)[1]
            )
            / (2 * eps)
            for e in np.eye(len(params))
        ]
    )
    assert np.allclose(grad, num_grad, rtol=1e-6, atol=1e-5)
    assert np.allclose(hess, num_hess, rtol=1e-6, atol=1e-5)
    assert np.allclose(hess, hess.T)


@pytest.mark.parametrize("distr", ordinal.DISTRIBUTIONS)
@pytest.mark.parametrize("cluster", ["partnership_id", None])
def test_newton_agrees_with_statsmodels(rows, distr, cluster):
    fast = ordinal.fit_ordinal(FORMULA, rows, cluster=cluster, distr=distr).terms.set_index("term")
    slow = ordinal.fit_ordinal(FORMULA, rows, cluster=cluster, distr=distr, estimator="statsmodels").terms.set_index(
        "term"
    )
    assert fast.index.tolist() == slow.index.tolist()
    assert np.allclose(fast["estimate"], slow["estimate"], rtol=0, atol=1e-6)
    # statsmodels differentiates numerically: its SEs carry ~1e-5 relative noise
    assert np.allclose(fast["std_error"], slow["std_error"], rtol=1e-4, atol=0)
    assert np.allclose(fast["p_value"].fillna(-1), slow["p_value"].fillna(-1), rtol=1e-3, atol=1e-8)


def test_newton_reports_its_method_and_statsmodels_path_stays_available(rows):
    fast = ordinal.fit_ordinal(FORMULA, rows)
    slow = ordinal.fit_ordinal(FORMULA, rows, estimator="statsmodels")
    assert "Newton" in fast.method and "statsmodels" in slow.method
    assert fast.converged and fast.n_obs == slow.n_obs and fast.n_groups == slow.n_groups == 40
    assert fast.loglik == pytest.approx(slow.loglik, abs=1e-6)
    with pytest.raises(ValueError, match="estimator"):
        ordinal.fit_ordinal(FORMULA, rows, estimator="lbfgs")


def test_falls_back_to_statsmodels_when_newton_fails(rows, monkeypatch):
    monkeypatch.setattr(ordinal, "newton_fit", lambda *args, **kwargs: None)
    fit = ordinal.fit_ordinal(FORMULA, rows)
    assert "statsmodels" in fit.method and fit.converged


def test_cluster_sandwich_equals_statsmodels_cov_cluster_on_the_same_scores(rows):
    codes, x, groups = arrays(rows)
    params, cov, _ = ordinal.newton_fit(codes, x, "logit", groups)
    k = x.shape[1]
    beta, theta = params[:k], params[k:]
    cuts = np.concatenate((theta[:1], np.exp(theta[1:]))).cumsum()
    per_row = ordinal.score_sums(codes, x, beta, cuts, "logit", np.arange(len(codes)))
    _, model_cov, _ = ordinal.newton_fit(codes, x, "logit", None)
    jac = np.eye(len(params))
    jac[k:, k] = 1.0
    for c in range(len(cuts)):
        jac[k + c, k + 1 : k + c + 1] = np.exp(theta[1 : c + 1])
    expected = cov_cluster((per_row @ jac, -model_cov), groups, use_correction=True)
    assert np.allclose(cov, expected, rtol=1e-10, atol=0)


def test_score_is_zero_at_the_estimate(rows):
    codes, x, groups = arrays(rows)
    params, _, _ = ordinal.newton_fit(codes, x, "logit", groups)
    k = x.shape[1]
    cuts = np.concatenate((params[k : k + 1], np.exp(params[k + 1 :]))).cumsum()
    _, grad, _ = ordinal.derivatives(codes, x, params[:k], cuts, "logit")
    assert np.max(np.abs(grad)) < 1e-6


def test_same_input_gives_identical_output(rows):
    first = ordinal.fit_ordinal(FORMULA, rows).terms
    second = ordinal.fit_ordinal(FORMULA, rows.sample(frac=1.0, random_state=0).reset_index(drop=True)).terms
    pd.testing.assert_frame_equal(first, ordinal.fit_ordinal(FORMULA, rows).terms)
    assert np.allclose(first[COLUMNS].fillna(0), second[COLUMNS].fillna(0), rtol=1e-9, atol=1e-12)


def test_sparse_levels_and_a_single_level_are_left_to_statsmodels():
    codes = np.array([0, 0, 2, 2, 2, 0])
    x = np.arange(6, dtype=float)[:, None]
    assert ordinal.newton_fit(codes, x) is None
    assert ordinal.newton_fit(np.zeros(5, dtype=int), x[:5]) is None


@pytest.mark.parametrize(
    "rhs",
    ["REL + FAC + PRO + ORG + C(wave)", "REL + C(partnership_id) + C(wave, Treatment(2025))", "C( wave ) + ORG:REL"],
)
def test_design_equals_patsy_on_the_raw_columns(rows, rhs):
    import patsy

    expected = patsy.dmatrix(rhs, rows, return_type="dataframe").drop(columns="Intercept")
    _, exog = ordinal.design(f"dur_continue ~ {rhs}", rows)
    pd.testing.assert_frame_equal(exog, expected)
    assert rows["wave"].dtype == np.int64


def package_simulation():
    from borgingsmonitor.synthetic.simulate import simulate_clean as simulate

    return simulate(4000, n_regions=8, n_partnerships=48, seed=11)[0]


def pilot_clean_data(tmp_path):
    """The bundled example's clean responses (real answer patterns: ties, empty categories, small partnerships)."""
    return pd.read_parquet(ingest_and_clean(tmp_path / "results", use_deduce=False))


@pytest.mark.parametrize("source", ["simulate", "pilot"])
def test_the_three_durability_items_agree_with_statsmodels(source, tmp_path):
    data = package_simulation() if source == "simulate" else pilot_clean_data(tmp_path)
    for item in ("dur_continue", "dur_embedded", "dur_commitment"):
        formula = FORMULA.replace("dur_continue", item)
        rows = mixed.complete_rows(formula, data, ["partnership_id"])
        fast = ordinal.fit_ordinal(formula, rows)
        slow = ordinal.fit_ordinal(formula, rows, estimator="statsmodels")
        assert np.allclose(fast.terms["estimate"], slow.terms["estimate"], rtol=0, atol=1e-6), item
        assert np.allclose(fast.terms["std_error"], slow.terms["std_error"], rtol=1e-4, atol=0), item
        assert fast.loglik == pytest.approx(slow.loglik, abs=1e-6)


def _plain_pieces(codes, x, beta, cuts, distr):
    """The logit pieces as first written: every logistic value computed where it is used."""
    eta = x @ beta
    ext = np.concatenate(([-np.inf], cuts, [np.inf]))
    upper, lower = ext[codes + 1] - eta, ext[codes] - eta
    has_u, has_l = codes < len(cuts), codes > 0
    from scipy import special

    def density(z):
        return special.expit(z) * special.expit(-z)

    with np.errstate(invalid="ignore", over="ignore"):
        prob = np.where(
            lower > 0, special.expit(-lower) - special.expit(-upper), special.expit(upper) - special.expit(lower)
        )
        fu, fl = density(upper), density(lower)
        dfu, dfl = fu * -np.tanh(upper / 2), fl * -np.tanh(lower / 2)
    return prob, *(np.where(h, v, 0.0) for h, v in ((has_u, fu), (has_l, fl), (has_u, dfu), (has_l, dfl)))


def _plain_hessian_cut_rows(codes, x, beta, cuts):
    prob, fu, fl, dfu, dfl = _plain_pieces(codes, x, beta, cuts, "logit")
    gu, gl = fu / prob, -fl / prob
    a, b, m = dfu / prob - gu**2, -dfl / prob - gl**2, -gu * gl
    n_cuts = len(cuts)

    def by_level(w):
        s = np.bincount(codes, weights=w, minlength=n_cuts + 1)
        return s[:-1], s[1:]

    return np.array([-(by_level(x[:, j] * (a + m))[0] + by_level(x[:, j] * (b + m))[1]) for j in range(x.shape[1])])


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000), n=st.integers(5, 400), k=st.integers(1, 6), spread=st.sampled_from([0.1, 3.0, 40.0])
)
def test_logit_pieces_and_derivatives_are_the_plain_formulas_bit_for_bit(seed, n, k, spread):
    """Each logistic value is computed once and reused; the cut rows of the Hessian use contiguous columns."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, k)) * spread
    codes = rng.integers(0, 4, n).astype(np.intp)
    beta, cuts = rng.normal(size=k), np.sort(rng.normal(size=3) * 2) + np.array([0.0, 0.1, 0.2])
    for got, want in zip(ordinal._pieces(codes, x, beta, cuts, "logit"), _plain_pieces(codes, x, beta, cuts, "logit")):
        np.testing.assert_array_equal(got, want)
    hess = ordinal.derivatives(codes, x, beta, cuts, "logit")[2]
    np.testing.assert_array_equal(hess[:k, k:], _plain_hessian_cut_rows(codes, x, beta, cuts))
