"""The hybrid (within/between) specification and the region rule of protocol Amendment 1, and the
exact likelihood of three nested levels against the dense one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borgingsmonitor.core.contracts import RANDOM_REGIONS_FROM
from borgingsmonitor.models import declared
from borgingsmonitor.models import nested_lmm as nl
from borgingsmonitor.synthetic.simulate import simulate_clean

SPEC = {
    "name": "h",
    "formula": "DUR ~ REL + FAC + PRO + ORG + C(wave)",
    "family": "gaussian",
    "grouping": ["region", "partnership_id", "wave"],
    "estimator": "nested_reml",
    "region_effect": "auto",
    "decompose": {"terms": ["REL", "FAC", "PRO", "ORG"]},
}


def test_decompose_formula_replaces_bare_terms_only():
    out = declared.decompose_formula("DUR ~ REL + C(REL) + RELX + REL:C(wave)", ["REL"])
    assert out == "DUR ~ (REL_between + REL_within) + C(REL) + RELX + (REL_between + REL_within):C(wave)"
    assert declared.decompose_formula("REL ~ FAC", ["REL"]) == "REL ~ FAC"


@settings(max_examples=25, deadline=None, derandomize=True)
@given(values=st.lists(st.floats(1, 5), min_size=4, max_size=40), seed=st.integers(0, 100))
def test_between_plus_within_is_the_score_and_within_averages_zero(values, seed):
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame(
        {
            "region": rng.choice(["a", "b"], len(values)),
            "partnership_id": rng.choice(["p1", "p2", "p3"], len(values)),
            "REL": values,
        }
    )
    out = declared.add_decomposition(rows, {"terms": ["REL"], "by": "partnership_id"}, ["region", "partnership_id"])
    np.testing.assert_allclose(out["REL_between"] + out["REL_within"], out["REL"], atol=1e-12)
    means = out.groupby(["region", "partnership_id"])["REL_within"].mean()
    np.testing.assert_allclose(means, 0, atol=1e-12)
    # one between value per partnership within region: a partnership id in two regions is two partnerships
    assert (out.groupby(["region", "partnership_id"])["REL_between"].nunique() == 1).all()


@pytest.mark.parametrize("n_regions", [RANDOM_REGIONS_FROM - 1, RANDOM_REGIONS_FROM])
def test_auto_region_fixed_below_ten_random_from_ten(n_regions):
    df, _ = simulate_clean(1200, n_regions=n_regions, n_partnerships=30, seed=5, sigma2={"partnership_wave": 0.02})
    table = declared.fit_declared(SPEC, df).set_index("term")
    method = table["method"].iloc[0]
    if n_regions < RANDOM_REGIONS_FROM:
        assert "region fixed" in method and "var_region" not in table.index
        assert sum(t.startswith("C(region)[T.") for t in table.index) == n_regions - 1
    else:
        assert "region random" in method and "var_region" in table.index
        assert not any(t.startswith("C(region)") for t in table.index)
    for term in ("REL_between", "REL_within", "var_partnership", "var_partnership_wave"):
        assert term in table.index
    # between effects rest on partnerships: df far below the respondent-level within effects
    assert table.loc["REL_between", "df"] < 60 < table.loc["REL_within", "df"]
    assert table["n_groups"].iloc[0] == df["partnership_id"].nunique()


def test_fixed_and_random_region_can_be_declared():
    df, _ = simulate_clean(800, n_regions=12, n_partnerships=24, seed=6)
    fixed = declared.fit_declared({**SPEC, "region_effect": "fixed"}, df)
    assert "declared fixed" in fixed["method"].iloc[0]
    two_level = {**SPEC, "grouping": ["region", "partnership_id"], "region_effect": "random"}
    random = declared.fit_declared(two_level, df)
    assert "var_region" in set(random["term"]) and "var_partnership_wave" not in set(random["term"])


@pytest.mark.parametrize(
    "change, message",
    [
        ({"region_effect": "sometimes"}, "region_effect"),
        ({"decompose": {"terms": ["REL"], "by": "region"}}, "inner grouping"),
        ({"estimator": "statsmodels_mixedlm"}, "nested_reml"),
    ],
)
def test_bad_declarations_are_errors(change, message):
    with pytest.raises(ValueError, match=message):
        declared.check_spec({**SPEC, **change})


def dense_criterion(y, X, groups, t, reml):
    """-2 log-likelihood profiled over b and s2_e, from the dense V (the definition)."""
    n = len(y)
    H = np.eye(n)
    key = np.zeros(n, dtype=object)
    key[:] = ""
    for labels, tl in zip(groups, t):
        key = key + "/" + labels.astype(str)
        H += tl * (key[:, None] == key[None, :])
    Hi = np.linalg.inv(H)
    M = X.T @ Hi @ X
    b = np.linalg.solve(M, X.T @ Hi @ y)
    r = y - X @ b
    rss = r @ Hi @ r
    dof = n - X.shape[1] if reml else n
    value = dof * (1 + np.log(2 * np.pi * rss / dof)) + np.linalg.slogdet(H)[1]
    return value + (np.linalg.slogdet(M)[1] if reml else 0.0), b


@settings(max_examples=20, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 1000),
    t=st.tuples(st.floats(0, 3), st.floats(0, 3), st.floats(0, 3)),
    reml=st.booleans(),
)
def test_three_levels_equal_dense_likelihood_and_gradient(seed, t, reml):
    rng = np.random.default_rng(seed)
    n = 90
    region = rng.choice(["a", "b", "c"], n)
    part = rng.choice(["p1", "p2", "p3", "p4"], n)
    wave = rng.choice([1, 2], n)
    x = rng.normal(size=n)
    y = 1 + 0.5 * x + rng.normal(size=n)
    X = np.column_stack([np.ones(n), x])
    stats = nl.cell_stats(y, X, {"region": region, "partnership": part, "partnership_wave": wave})
    prof = nl._Profile(stats, "REML" if reml else "ML")
    val, grad = prof.criterion(np.array(t), grad=True)
    dense, b = dense_criterion(y, X, [region, part, wave], t, reml)
    assert val == pytest.approx(dense, rel=1e-10)
    np.testing.assert_allclose(prof.solve(np.array(t))["b"], b, rtol=1e-8, atol=1e-10)
    h = 1e-6
    for j in range(3):
        up, down = np.array(t, float), np.array(t, float)
        up[j] += h
        down[j] = max(down[j] - h, 0.0)
        num = (prof.criterion(up) - prof.criterion(down)) / (up[j] - down[j])
        assert grad[j] == pytest.approx(num, rel=1e-4, abs=1e-4)


def test_satterthwaite_intercept_df_matches_two_level_lmertest():
    """lmerTest 3.1.3 on tests/data/nested_lmm_lme4_main.csv (y ~ x1 + x2 + wave + (1|region/partnership_id)):
    intercept df 27.53764538 (REML), 37.63702385 (ML); x1 676.32494809 (REML)."""
    df = pd.read_csv(Path(__file__).parent / "data" / "nested_lmm_lme4_main.csv")
    reml = nl.fit_nested_lmm("y ~ x1 + x2 + C(wave)", df, method="REML")
    ml = nl.fit_nested_lmm("y ~ x1 + x2 + C(wave)", df, method="ML")
    assert reml.df["Intercept"] == pytest.approx(27.53764538, rel=1e-5)
    assert reml.df["x1"] == pytest.approx(676.32494809, rel=1e-5)
    assert ml.df["Intercept"] == pytest.approx(37.63702385, rel=1e-5)


def test_satterthwaite_df_of_a_contrast_matches_lmertest_contest():
    """lmerTest 3.1.3 contestMD on the same data, L = Intercept + x1 - x2: DenDF 27.7831612541 (lme4's
    default optimiser tolerance: ours 27.78262, 2e-5 relative)."""
    df = pd.read_csv(Path(__file__).parent / "data" / "nested_lmm_lme4_main.csv")
    reml = nl.fit_nested_lmm("y ~ x1 + x2 + C(wave)", df, method="REML")
    L = pd.Series(0.0, index=reml.params.index)
    L[["Intercept", "x1", "x2"]] = [1.0, 1.0, -1.0]
    assert reml.contrast_df(L.to_numpy())[0] == pytest.approx(27.7831612541, rel=1e-4)
    np.testing.assert_allclose(reml.contrast_df(np.eye(len(L))), reml.df.to_numpy(), rtol=1e-12)


def test_respondent_level_is_named_and_nested_in_partnership():
    df, _ = simulate_clean(900, n_regions=4, n_partnerships=20, seed=8)
    table = declared.fit_declared({**SPEC, "grouping": ["region", "partnership_id", "respondent_key"]}, df)
    terms = set(table["term"])
    assert {"var_partnership", "var_respondent", "icc_respondent"} <= terms
    assert "respondent=" in table["method"].iloc[0]
    # no respondent key is written anywhere in the rows
    assert not table.astype(str).apply(lambda c: c.isin(df["respondent_key"])).any(axis=None)
