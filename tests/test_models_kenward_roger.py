"""Kenward-Roger for the nested REML fits (models/kenward_roger.py).

Three checks: the cell-level computation against pbkrtest's formulas on the dense N x N
covariance (the definition); the declared hybrid model against lmerTest's `summary(m, ddf =
"Kenward-Roger")` recorded by docs/validation/hybrid_kr_compare.py in
tests/data/hybrid_kr_lmertest.json (no R needed); and a balanced design where the exact answer is
known.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from fixtures.models import HYBRID_SPEC

from borgingsmonitor.models import declared
from borgingsmonitor.models import kenward_roger as kr
from borgingsmonitor.models import nested_lmm as nl
from borgingsmonitor.models.table import DIFFERENCE

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parents[1]
SPEC = {**HYBRID_SPEC, "ddf": "kenward_roger"}


def three_level_rows(seed):
    """Unbalanced region > partnership > wave data with a few rows per cell."""
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(5):
        u_r = rng.normal(0, 0.3)
        for p in range(rng.integers(2, 5)):
            u_p = rng.normal(0, 0.4)
            for w in range(3):
                u_w = rng.normal(0, 0.3)
                for _ in range(rng.integers(1, 6)):
                    x = rng.normal()
                    y = 1 + 0.5 * x + u_r + u_p + u_w + rng.normal()
                    rows.append((f"r{r}", f"p{p}", w, x, rng.normal(), y))
    return pd.DataFrame(rows, columns=["region", "partnership", "wave", "x", "z", "y"])


def dense_kenward_roger(df, X, gammas, random):
    """pbkrtest's vcovAdj and Lb_ddf, written out on the dense covariance."""
    key = df["region"].astype(str)
    keys = [key, key + "/" + df["partnership"], key + "/" + df["partnership"] + "/" + df["wave"].astype(str)]
    G = [(k.to_numpy()[:, None] == k.to_numpy()[None, :]).astype(float) for k, r in zip(keys, random) if r]
    G.append(np.eye(len(df)))
    Vi = np.linalg.inv(sum(g * Gi for g, Gi in zip(gammas, G)))
    phi = np.linalg.inv(X.T @ Vi @ X)
    m = len(G)
    P = [-X.T @ Vi @ Gi @ Vi @ X for Gi in G]
    Q = [[X.T @ Vi @ Gi @ Vi @ Gj @ Vi @ X for Gj in G] for Gi in G]
    info = np.array(
        [
            [
                np.trace(Vi @ G[i] @ Vi @ G[j]) - 2 * np.trace(phi @ Q[i][j]) + np.trace(phi @ P[i] @ phi @ P[j])
                for j in range(m)
            ]
            for i in range(m)
        ]
    )
    W = 2 * np.linalg.inv(info)
    U = sum(W[i, j] * (Q[i][j] - P[i] @ phi @ P[j]) for i in range(m) for j in range(m))
    phi_a = phi + 2 * phi @ U @ phi
    df_ = []
    for j in range(X.shape[1]):
        # q = 1: A1 = A2 = sum_ij W_ij d_i d_j with d_i = (phi P_i phi)_jj / phi_jj
        d = np.array([(phi @ Pi @ phi)[j, j] / phi[j, j] for Pi in P])
        A = d @ W @ d
        B = 3.5 * A
        rho = ((1 - A) / (1 - 2 * B / 7)) ** 2 * (1 - B / 7) / (1 - 4 * B / 7)
        df_.append(4 + 3 / (rho - 1))
    return phi_a, np.array(df_)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("random", [(True, True, True), (False, True, True), (True, False, True)])
def test_cell_level_kenward_roger_equals_dense_definition(seed, random):
    df = three_level_rows(seed)
    X = np.column_stack([np.ones(len(df)), df["x"], df["z"], df["wave"] == 1])
    groups = {"region": df["region"].to_numpy(), "partnership": df["partnership"].to_numpy(), "pw": df["wave"]}
    res = nl.fit_from_stats(nl.cell_stats(df["y"].to_numpy(), X, groups), random=random, ddf="kenward_roger")
    gammas = [res.sigma2[name] for name, r in zip(("region", "partnership", "pw"), random) if r]
    phi_a, df_ = dense_kenward_roger(df, X, gammas + [res.sigma2["residual"]], random)
    np.testing.assert_allclose(res.cov_params.to_numpy(), phi_a, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(res.df.to_numpy(), df_, rtol=1e-8)


def test_logdet_hessian_matches_differences_of_the_gradient():
    df = three_level_rows(3)
    X = np.column_stack([np.ones(len(df)), df["x"]])
    groups = {"region": df["region"].to_numpy(), "partnership": df["partnership"].to_numpy(), "pw": df["wave"]}
    prof = nl._Profile(nl.cell_stats(df["y"].to_numpy(), X, groups), "REML")
    t = np.array([0.3, 0.7, 0.2])
    grad, hess = kr.logdet_hessian(prof, t)
    assert grad == pytest.approx(prof.solve(t, deriv=True)["dld"], rel=1e-12)
    h = 1e-6
    for j in range(3):
        step = np.eye(3)[j] * h
        num = (prof.solve(t + step, deriv=True)["dld"] - prof.solve(t - step, deriv=True)["dld"]) / (2 * h)
        np.testing.assert_allclose(hess[:, j], num, rtol=1e-6)


@pytest.mark.parametrize("name", ["sim_fixed", "sim_random"])
def test_hybrid_model_equals_lmertest_kenward_roger(name):
    rows = pd.read_csv(DATA / f"hybrid_{name}.csv", dtype={"region": str, "partnership_id": str})
    ref = json.loads((DATA / "hybrid_kr_lmertest.json").read_text())[name]
    table = declared.fit_declared(SPEC, rows)
    assert ("region fixed" in table["method"].iloc[0]) == (name == "sim_fixed")
    assert "Kenward-Roger" in table["method"].iloc[0]
    fixed = table[table["std_error"].notna()].set_index("term")
    differences = fixed[fixed.index.str.startswith(DIFFERENCE)]
    fixed = fixed.drop(differences.index)
    idx = list(ref["bse"])
    assert set(fixed.index) == set(idx)
    # each difference of two between effects (the "strongest" claim's contrasts): contestMD's KR df and p
    diff_ref = pd.DataFrame(ref["differences"]).T
    assert set(differences.index) == set(diff_ref.index) and len(diff_ref) == 6
    for col in ("std_error", "df", "p_value"):
        np.testing.assert_allclose(differences.loc[diff_ref.index, col], diff_ref[col].astype(float), rtol=1e-4)
    # lme4's optimiser stops at ~1e-7 relative in the variances: SE and df agree to ~1e-6
    np.testing.assert_allclose(fixed.loc[idx, "std_error"], pd.Series(ref["bse"])[idx], rtol=1e-5)
    np.testing.assert_allclose(fixed.loc[idx, "df"], pd.Series(ref["df"])[idx], rtol=1e-5)
    np.testing.assert_allclose(fixed.loc[idx, "p_value"], pd.Series(ref["p_value"])[idx], rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(pd.Series(ref["vcov_adj_se"])[idx], pd.Series(ref["bse"])[idx], rtol=1e-12)


def test_balanced_one_way_design_gives_the_exact_df():
    """Balanced groups, intercept only: the t test of the mean on groups - 1 df is exact, and
    Kenward-Roger reproduces it (its SE is then the usual one, no adjustment)."""
    rng = np.random.default_rng(5)
    g, n = 9, 6
    labels = np.repeat(np.arange(g), n)
    y = rng.normal(size=g)[labels] + rng.normal(size=g * n)
    stats = nl.cell_stats(y, np.ones((g * n, 1)), {"region": np.zeros(g * n), "group": labels})
    res = nl.fit_from_stats(stats, random=(False, True), ddf="kenward_roger")
    assert res.df.iloc[0] == pytest.approx(g - 1, rel=1e-10)
    group_means = np.bincount(labels, weights=y) / n
    assert res.bse.iloc[0] == pytest.approx(group_means.std(ddof=1) / np.sqrt(g), rel=1e-8)


def test_kenward_roger_needs_reml_and_unweighted_statistics():
    df = three_level_rows(4)
    X = np.column_stack([np.ones(len(df)), df["x"]])
    stats = nl.cell_stats(df["y"].to_numpy(), X, {"region": df["region"].to_numpy(), "p": df["partnership"]})
    with pytest.raises(ValueError, match="REML"):
        nl.fit_from_stats(stats, method="ML", ddf="kenward_roger")
    with pytest.raises(ValueError, match="ddf"):
        nl.fit_from_stats(stats, ddf="containment")
    weights = np.where(np.arange(len(stats.n)) % 2, 2.0, 1.0)
    with pytest.raises(ValueError, match="unweighted"):
        nl.fit_from_stats(stats.weighted(partnership=weights), ddf="kenward_roger")


@pytest.mark.parametrize(
    "change, message",
    [({"ddf": "containment"}, "ddf must be"), ({"ddf": "kenward_roger", "method": "ML"}, "needs method REML")],
)
def test_bad_ddf_declarations_are_errors(change, message):
    with pytest.raises(ValueError, match=message):
        declared.check_spec({**SPEC, **change})


def test_schema_offers_the_ddf_the_code_knows():
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    found = [None]

    def walk(node):
        if isinstance(node, dict):
            if "ddf" in node.get("properties", {}):
                found[0] = node["properties"]["ddf"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert found[0]["enum"] == list(declared.DDF) and found[0]["default"] == declared.DDF[0]


def test_two_level_model_takes_kenward_roger_too():
    rows = pd.read_csv(DATA / "hybrid_sim_random.csv", dtype={"region": str, "partnership_id": str})
    spec = {**SPEC, "grouping": ["region", "partnership_id"], "decompose": None, "region_effect": "random"}
    kr_table = declared.fit_declared(spec, rows).set_index("term")
    sat = declared.fit_declared({**spec, "ddf": "satterthwaite"}, rows).set_index("term")
    assert kr_table.loc["REL", "estimate"] == pytest.approx(sat.loc["REL", "estimate"], rel=1e-12)
    # the region variance from 12 regions is uncertain: Kenward-Roger widens the intercept's SE
    assert kr_table.loc["Intercept", "std_error"] > sat.loc["Intercept", "std_error"]
