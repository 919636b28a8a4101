"""The cumulative logit with a random intercept (models/ordinal_mixed.py): its likelihood, gradient,
limits and failure mode. Agreement with R's ordinal::clmm is in test_models_ordinal_mixed_clmm.py."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special

from borgingsmonitor.models import ordinal, ordinal_mixed

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "validation"))
from ordinal_mixed_make_data import TRUTH, simulate  # noqa: E402


def arrays(df: pd.DataFrame):
    return df["y"].to_numpy() - 1, df[["x1", "x2"]].to_numpy(), pd.factorize(df["g"])[0]


def numeric_gradient(model, params, h=1e-6):
    out = []
    for j in range(len(params)):
        up, down = params.copy(), params.copy()
        up[j] += h
        down[j] -= h
        out.append((model.loglik(up) - model.loglik(down)) / (2 * h))
    return np.array(out)


PARAMS = np.array([-1.4, -0.2, 0.7, 1.9, 0.7, -0.4, np.log(0.6)])


@pytest.mark.parametrize("n_agq", [1, 5])
def test_gradient_is_the_derivative_of_the_likelihood(n_agq):
    model = ordinal_mixed.Marginal(ordinal_mixed.layout(*arrays(simulate(10, 15, seed=1))), n_agq)
    value, grad = model.value_grad(PARAMS.copy())
    assert np.isfinite(value)
    np.testing.assert_allclose(grad, numeric_gradient(model, PARAMS.copy()), atol=1e-5)


def test_quadrature_is_the_integral_over_the_random_intercept():
    """Adaptive quadrature with many nodes = the marginal likelihood integrated numerically, group by group."""
    codes, x, g = arrays(simulate(5, 8, seed=2))
    cuts, beta, sd = PARAMS[:4], PARAMS[4:6], float(np.exp(PARAMS[-1]))
    exact = 0.0
    for k in range(g.max() + 1):
        rows = g == k

        def density(b, rows=rows):
            eta = x[rows] @ beta + b
            upper = special.expit(np.append(cuts, np.inf)[codes[rows]] - eta)
            lower = special.expit(np.insert(cuts, 0, -np.inf)[codes[rows]] - eta)
            return np.prod(upper - lower) * np.exp(-0.5 * (b / sd) ** 2) / (sd * np.sqrt(2 * np.pi))

        exact += np.log(integrate.quad(density, -10 * sd, 10 * sd, epsabs=0, epsrel=1e-12)[0])
    model = ordinal_mixed.Marginal(ordinal_mixed.layout(codes, x, g), 30)
    assert model.loglik(PARAMS.copy()) == pytest.approx(exact, abs=1e-8)
    laplace = ordinal_mixed.Marginal(ordinal_mixed.layout(codes, x, g), 1).loglik(PARAMS.copy())
    assert abs(laplace - exact) > 1e-6  # Laplace is an approximation, not the integral


def test_vanishing_sd_is_the_plain_cumulative_logit():
    codes, x, g = arrays(simulate(10, 15, seed=3))
    params = PARAMS.copy()
    params[-1] = np.log(1e-7)
    model = ordinal_mixed.Marginal(ordinal_mixed.layout(codes, x, g), 1)
    value, grad = model.value_grad(params)
    plain, plain_grad, _ = ordinal.derivatives(codes, x, params[4:6], params[:4], "logit")
    assert value == pytest.approx(plain, abs=1e-8)
    np.testing.assert_allclose(grad[:4], plain_grad[2:], atol=1e-6)  # cuts
    np.testing.assert_allclose(grad[4:6], plain_grad[:2], atol=1e-6)  # slopes


def test_without_group_differences_the_fit_is_the_plain_cumulative_logit():
    """Responses with no random intercept and groups of one row: sd goes to its boundary and the
    cuts and slopes are the plain cumulative logit's (the one-row group's u is not identified)."""
    truth = {**TRUTH, "sd": 0.0}
    df = simulate(400, 1, seed=4, truth=truth)
    fit = ordinal_mixed.fit_mixed_ordinal(*arrays(df), n_agq=1)
    plain = ordinal.newton_fit(df["y"].to_numpy() - 1, df[["x1", "x2"]].to_numpy(), "logit", None)
    theta = plain[0][2:]
    assert fit.sd < 0.05
    np.testing.assert_allclose(fit.beta, plain[0][:2], atol=2e-3)
    np.testing.assert_allclose(fit.cuts, np.concatenate((theta[:1], np.exp(theta[1:]))).cumsum(), atol=5e-3)


def test_recovers_the_truth_of_a_simulation():
    fit = ordinal_mixed.fit_mixed_ordinal(*arrays(simulate(150, 20, seed=5)), n_agq=1)
    se = np.sqrt(np.diag(fit.cov))
    assert fit.converged and fit.message == "converged"
    assert np.all(np.abs(fit.cuts - TRUTH["cuts"]) < 4 * se[:4])
    assert np.all(np.abs(fit.beta - TRUTH["beta"]) < 4 * se[4:6])
    assert abs(np.log(fit.sd) - np.log(TRUTH["sd"])) < 4 * se[6]


def test_a_fit_that_fails_says_so_instead_of_raising():
    """A predictor that separates the levels: the slope runs off and the Hessian degenerates."""
    df = simulate(10, 10, seed=6)
    df["x1"] = df["y"] + 0.0
    terms, fit = ordinal_mixed.fit_terms("y ~ x1 + x2", df, "g")
    assert not fit.converged
    assert "NOT CONVERGED" in ordinal_mixed.method_text(fit)
    assert {"x1", "x2", "cut_1|2", "sd_partnership", "loglik"} <= set(terms["term"])


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_groups=st.integers(1, 6),
    per_group=st.integers(1, 6),
    log_sd=st.floats(-3, 1.5),
    n_agq=st.sampled_from([1, 3]),
)
def test_gradient_property(seed, n_groups, per_group, log_sd, n_agq):
    """Any small data set (one-row groups, unused middle levels collapsed) and SD: analytic = numeric."""
    df = simulate(n_groups, per_group, seed=seed)
    codes = pd.factorize(df["y"], sort=True)[0]
    if codes.max() < 1:
        return
    model = ordinal_mixed.Marginal(ordinal_mixed.layout(codes, df[["x1", "x2"]].to_numpy(), arrays(df)[2]), n_agq)
    params = np.concatenate((np.linspace(-1, 1, codes.max()), [0.3, -0.2, log_sd]))
    value, grad = model.value_grad(params)
    np.testing.assert_allclose(grad, numeric_gradient(model, params), atol=2e-5 * max(1.0, abs(value)))
