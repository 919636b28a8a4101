"""Alpha, Feldt CI, omega and item statistics: published and constructed data."""

import numpy as np
import pandas as pd
import pytest
from fixtures.measure import QUESTIONNAIRE, simulate_responses
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.measure.reliability import (
    RELIABILITY_COLUMNS,
    complete_cases,
    cronbach_alpha,
    feldt_ci,
    item_statistics,
    item_statistics_table,
    omega_total,
    one_factor_ml,
    reliability_table,
)

Q = load_questionnaire(QUESTIONNAIRE)

# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges. Published ICC(3,k) = .91;
# alpha equals ICC(3,k) = 1 - 1/F with the published F = 11.03. The psych values (raw_alpha,
# alpha.ci, ICC3k bounds, alpha.drop, r.drop) are from psych 2.2.9 (docs/validation-measurement.md).
SHROUT_FLEISS = pd.DataFrame(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    columns=["J1", "J2", "J3", "J4"],
    dtype=float,
)


def test_alpha_shrout_fleiss_published():
    alpha = cronbach_alpha(SHROUT_FLEISS)
    assert round(alpha, 2) == 0.91
    assert alpha == pytest.approx(1 - 1 / 11.027247956, abs=1e-9)
    assert alpha == pytest.approx(0.9093155424, abs=1e-9)


def test_feldt_ci_matches_psych_alpha_ci_and_icc3k():
    low, high = feldt_ci(cronbach_alpha(SHROUT_FLEISS), n=6, k=4)
    assert low == pytest.approx(0.6756747138, abs=1e-9)
    assert high == pytest.approx(0.9858916782, abs=1e-9)


def test_item_statistics_shrout_fleiss_match_psych():
    stats = item_statistics(SHROUT_FLEISS).set_index("item")
    np.testing.assert_allclose(
        stats["alpha_if_dropped"], [0.8833922261, 0.8665048544, 0.8715486194, 0.9178743961], atol=1e-9
    )
    np.testing.assert_allclose(
        stats["item_rest_r"], [0.8057873704, 0.8593040510, 0.8444792822, 0.7902036647], atol=1e-9
    )
    np.testing.assert_allclose(stats["mean"], [7.666666667, 2.5, 4.333333333, 6.666666667], atol=1e-8)
    np.testing.assert_allclose(stats["sd"], [1.632993162, 1.643167673, 1.632993162, 2.503331114], atol=1e-8)
    assert (stats["n"] == 6).all()


def test_perfectly_consistent_items_give_alpha_and_omega_one():
    rng = np.random.default_rng(1)
    true = rng.integers(1, 6, 50).astype(float)
    items = pd.DataFrame({"a": true, "b": true, "c": true, "d": true})
    assert cronbach_alpha(items) == pytest.approx(1.0, abs=1e-12)
    assert omega_total(items + rng.normal(0, 1e-4, items.shape)) == pytest.approx(1.0, abs=1e-4)


def test_parallel_items_with_shifted_means_still_alpha_one():
    true = pd.Series(np.tile([1.0, 2, 3, 4, 5], 8))
    items = pd.DataFrame({"a": true, "b": true + 0.5, "c": true - 0.25})
    assert cronbach_alpha(items) == pytest.approx(1.0, abs=1e-12)


def test_uncorrelated_items_alpha_near_zero():
    rng = np.random.default_rng(7)
    items = pd.DataFrame(rng.normal(size=(5000, 5)))
    assert abs(cronbach_alpha(items)) < 0.05


def test_alpha_formula_by_hand():
    rng = np.random.default_rng(11)
    items = pd.DataFrame(rng.integers(1, 6, size=(40, 3)).astype(float))
    k = 3
    var_items = items.var(ddof=1).sum()
    var_total = items.sum(axis=1).var(ddof=1)
    assert cronbach_alpha(items) == pytest.approx(k / (k - 1) * (1 - var_items / var_total))


def test_listwise_deletion_within_the_scale():
    items = SHROUT_FLEISS.copy()
    items.loc[6] = [np.nan, 1, 1, 1]
    assert len(complete_cases(items)) == 6
    assert cronbach_alpha(items) == pytest.approx(cronbach_alpha(SHROUT_FLEISS))
    assert omega_total(items) == pytest.approx(omega_total(SHROUT_FLEISS))


def test_one_factor_ml_recovers_population_covariance():
    lam = np.array([0.9, 0.7, 0.5, 0.8, 0.6])
    theta = np.array([0.4, 0.6, 0.9, 0.3, 0.7])
    sigma = np.outer(lam, lam) + np.diag(theta)
    lam_hat, theta_hat = one_factor_ml(sigma)
    np.testing.assert_allclose(lam_hat, lam, atol=1e-6)
    np.testing.assert_allclose(theta_hat, theta, atol=1e-6)


def test_omega_of_population_one_factor_data():
    # With S exactly one-factor, omega = (sum lambda)^2 / ((sum lambda)^2 + sum theta)
    lam = np.array([0.9, 0.7, 0.5, 0.8])
    theta = np.array([0.4, 0.6, 0.9, 0.3])
    sigma = np.outer(lam, lam) + np.diag(theta)
    rng = np.random.default_rng(5)
    z = rng.normal(size=(4000, 4))
    z = (z - z.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False, ddof=0))).T
    x = pd.DataFrame(z @ np.linalg.cholesky(sigma).T)  # sample covariance exactly sigma
    expected = lam.sum() ** 2 / (lam.sum() ** 2 + theta.sum())
    assert omega_total(x) == pytest.approx(expected, abs=1e-6)
    # alpha <= omega under a congeneric model
    assert cronbach_alpha(x) < expected


def test_omega_is_invariant_to_sign_and_shift_but_alpha_to_shift_only():
    df = simulate_responses(n_per_region_wave=40, seed=9)
    items = complete_cases(pd.DataFrame({c: df[c].astype(float) for c in Q.scales["PRO"]}))
    shifted = items + 2
    assert cronbach_alpha(shifted) == pytest.approx(cronbach_alpha(items), abs=1e-12)
    assert omega_total(shifted) == pytest.approx(omega_total(items), abs=1e-8)


@settings(max_examples=40, deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(8, 40), st.integers(2, 6)), elements=st.integers(1, 5)))
def test_alpha_never_above_one_and_ci_brackets_it(values):
    items = pd.DataFrame(values.astype(float))
    alpha = cronbach_alpha(items)
    if np.isnan(alpha):
        return
    assert alpha <= 1 + 1e-12
    low, high = feldt_ci(alpha, len(items), items.shape[1])
    assert low <= alpha + 1e-12 <= high + 2e-12


def test_reliability_table_shape_and_reverse_item():
    df = simulate_responses(n_per_region_wave=60, seed=4)
    table = reliability_table(df, Q)
    assert list(table.columns[: len(RELIABILITY_COLUMNS)]) == RELIABILITY_COLUMNS
    assert table["wave"].tolist()[:4] == ["2023", "2024", "2025", "all"]
    assert table["scale"].unique().tolist() == ["REL", "FAC", "PRO", "ORG", "DUR"]
    assert table.set_index("scale")["n_items"].to_dict() == {"REL": 6, "FAC": 4, "PRO": 4, "ORG": 3, "DUR": 3}
    rel_all = table[(table["scale"] == "REL") & (table["wave"] == "all")].iloc[0]
    assert rel_all["alpha"] > 0.7  # reversed once; not reversing rel_distant drops alpha sharply
    items = pd.DataFrame({c: df[c].astype("float") for c in Q.scales["REL"]})
    assert cronbach_alpha(items) < rel_all["alpha"] - 0.1
    assert rel_all["n"] == len(complete_cases(items))


def test_item_statistics_reverse_item_described_after_reversal():
    df = simulate_responses(n_per_region_wave=60, seed=4)
    table = item_statistics_table(df, Q)
    row = table[(table["item"] == "rel_distant") & (table["wave"] == "all")].iloc[0]
    complete = df[Q.scales["REL"]].dropna()
    assert bool(row["reverse"])
    assert row["mean"] == pytest.approx(6 - complete["rel_distant"].astype(float).mean())
    assert row["item_rest_r"] > 0.3


def test_small_waves_are_suppressed():
    df = simulate_responses(n_per_region_wave=60, seed=4)
    small = pd.concat([df[df["wave"] != 2025], df[df["wave"] == 2025].head(4)], ignore_index=True)
    table = reliability_table(small, Q, min_group_size=5)
    rows = table[table["wave"] == "2025"]
    assert rows["suppressed"].all()
    assert rows[["alpha", "alpha_ci_low", "alpha_ci_high", "omega"]].isna().all().all()
    assert not table[table["wave"] == "2024"]["suppressed"].any()
    items = item_statistics_table(small, Q, min_group_size=5)
    assert items[items["wave"] == "2025"][["mean", "sd"]].isna().all().all()
