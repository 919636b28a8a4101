"""H6 network dip: the natural spline basis, the LRT and the adjusted curve."""

import numpy as np
import pandas as pd
import pytest
from fixtures.mechanisms import dip_curve, linear_curve, simulate_responses
from hypothesis import given, settings
from hypothesis import strategies as st

from borgingsmonitor.mechanisms import network_dip as nd
from borgingsmonitor.models.design import design_matrices
from borgingsmonitor.models.table import MODEL_COLUMNS


@pytest.fixture(scope="module")
def dip_result():
    return nd.network_dip(simulate_responses(30, 48, seed=3, age_effect=dip_curve), n_boot=19, seed=2)


@pytest.fixture(scope="module")
def linear_result():
    return nd.network_dip(simulate_responses(30, 48, seed=3, age_effect=linear_curve), n_boot=0)


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
    curve = nd.network_dip(data[keep.to_numpy()], min_group_size=5, n_boot=0)["curve"].set_index("partnership_age")
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


def test_dip_and_recovery_contrasts_on_a_simulated_dip(dip_result):
    contrasts = dip_result["contrasts"].set_index("contrast")
    assert list(dip_result["contrasts"].columns) == nd.CONTRAST_COLUMNS
    dip, rec = contrasts.loc["dip"], contrasts.loc["recovery"]
    curve = dip_result["curve"].set_index("partnership_age")["estimate"].astype(float)
    assert dip["estimate"] == pytest.approx(curve[dip["age_to"]] - curve[dip["age_from"]])
    assert rec["estimate"] == pytest.approx(curve[rec["age_to"]] - curve[rec["age_from"]])
    assert dip["age_to"] == rec["age_from"] and 2 <= dip["age_to"] <= 4  # the simulated trough is at 3
    assert dip["ci_high"] < 0 < rec["ci_low"] and dip["significant"] and rec["significant"]
    assert nd.dips_and_recovers(dip_result["contrasts"])


def test_no_dip_and_recovery_claim_on_a_linear_trend(linear_result):
    contrasts = linear_result["contrasts"].set_index("contrast")
    assert contrasts.loc["recovery", "estimate"] > 0
    assert not contrasts.loc["dip", "ci_high"] < 0  # no significant fall on a rising line
    assert not nd.dips_and_recovers(linear_result["contrasts"])
    assert "bootstrap" not in linear_result["lrt"]


def _contrasts(dip_high, rec_low):
    return pd.DataFrame(
        {"contrast": ["dip", "recovery"], "ci_low": [dip_high - 0.2, rec_low], "ci_high": [dip_high, rec_low + 0.2]}
    )


@pytest.mark.parametrize(
    "dip_high, rec_low, claim", [(-0.01, 0.01, True), (0.01, 0.01, False), (-0.01, -0.01, False), (0.01, -0.01, False)]
)
def test_dips_and_recovers_needs_both_contrasts(dip_high, rec_low, claim):
    assert nd.dips_and_recovers(_contrasts(dip_high, rec_low)) is claim
    assert nd.dips_and_recovers(pd.DataFrame(columns=nd.CONTRAST_COLUMNS)) is False


def test_ages_of_few_partnerships_are_flagged_and_left_out_of_the_contrasts():
    data = simulate_responses(10, 24, seed=4, age_effect=dip_curve)
    per_age = data[["partnership_age", "region", "partnership_id"]].drop_duplicates().groupby("partnership_age").size()
    result = nd.network_dip(data, n_boot=0, min_partnerships=8)
    curve = result["curve"].set_index("partnership_age")
    assert list(result["curve"].columns[-2:]) == nd.SURVIVOR_COLUMNS
    assert (curve["n_partnerships"] == per_age.reindex(curve.index)).all()
    assert (curve["few_partnerships"] == (per_age.reindex(curve.index) < 8)).all()
    kept = curve.index[~curve["few_partnerships"]]
    contrasts = result["contrasts"].set_index("contrast")
    assert contrasts.loc["dip", "age_from"] == kept.min() and contrasts.loc["recovery", "age_to"] == kept.max()
    assert contrasts[["n_partnerships_from", "n_partnerships_to"]].min().min() >= 8
    assert not curve["estimate"].isna().any()  # flagged ages are still shown


def test_no_contrasts_with_fewer_than_three_interpreted_ages():
    data = simulate_responses(10, 12, seed=5)
    result = nd.network_dip(data, n_boot=0, min_partnerships=100)
    assert result["contrasts"].empty and not nd.dips_and_recovers(result["contrasts"])


def test_parametric_bootstrap_is_seeded_and_calibrated(dip_result):
    boot = dip_result["lrt"]["bootstrap"]
    assert boot["n_boot"] == 19 and boot["p_value"] == pytest.approx(1 / 20)  # LR ~ 60: none exceed it
    rows = dip_result["rows"].set_index("term")
    assert rows.loc["lrt_spline_vs_linear_bootstrap", "p_value"] == pytest.approx(boot["p_value"])
    assert "B=19, seed=2" in rows.loc["lrt_spline_vs_linear_bootstrap", "method"]
    data = simulate_responses(6, 20, seed=6, age_effect=linear_curve)
    frame, knots = nd.analysis_frame(data)
    pair = nd.formulas(len(knots) - 1)
    fit = nd.fit_lmm(pair[0], frame)
    a = nd.bootstrap_lr(frame, pair, fit, 3.0, n_boot=60, seed=11)
    b = nd.bootstrap_lr(frame, pair, fit, 3.0, n_boot=60, seed=11)
    np.testing.assert_array_equal(a["values"], b["values"])
    # under the null the LR statistic is roughly chi2(2): mean ~2, and the p-value counts exceedances
    assert 1.0 < a["values"].mean() < 3.5
    assert a["p_value"] == pytest.approx((1 + np.sum(a["values"] >= 3.0)) / 61)


@pytest.mark.parametrize("shuffle", [False, True])
def test_bootstrap_with_x_fixed_once_gives_the_plain_refits_lr_statistics(monkeypatch, shuffle):
    """Each draw's statistics come from X'X formed once, the null mean's statistics and the
    residuals' sums per cell and run (FixedDesign, NullDraws, select); a plain pass over [X, y]
    per model and draw, y built row by row from the same draws (the reference below), gives the
    same LR statistics, to the refit's tolerance, and so the same p-value. Shuffled: rows not
    in cell order."""
    from borgingsmonitor.models import nested_lmm as nl

    data = simulate_responses(6, 20, seed=8, age_effect=dip_curve)
    frame, knots = nd.analysis_frame(data)
    if shuffle:
        frame = frame.sample(frac=1.0, random_state=3).reset_index(drop=True)
    pair = nd.formulas(len(knots) - 1)
    fit = nd.fit_lmm(pair[0], frame)
    fast = nd.bootstrap_lr(frame, pair, fit, 2.0, n_boot=40, seed=5)
    designs = [design_matrices(formula, frame)[1] for formula in pair]
    groups = {"region": frame["region"].to_numpy(), "partnership": frame["partnership_id"].to_numpy()}
    mean = designs[0].to_numpy() @ fit.params.reindex(designs[0].columns).to_numpy()
    r_codes = pd.factorize(frame["region"])[0]
    p_codes = pd.factorize(frame["region"] + "/" + frame["partnership_id"])[0]

    def plain_draw(rng, draws, sd, r_cells, r_n, p_cells, p_n, small, ratios):
        y = (
            mean
            + rng.normal(0, sd["region"], r_n)[r_codes]
            + rng.normal(0, sd["partnership"], p_n)[p_codes]
            + rng.normal(0, sd["residual"], len(mean))
        )
        ll_small, t_small = nd.max_loglik(nl.cell_stats(y, designs[0], groups), ratios)
        ll_big, _ = nd.max_loglik(nl.cell_stats(y, designs[1], groups), t_small)
        return max(0.0, 2 * (ll_big - ll_small))

    monkeypatch.setattr(nd, "_one_draw", plain_draw)
    plain = nd.bootstrap_lr(frame, pair, fit, 2.0, n_boot=40, seed=5)
    np.testing.assert_allclose(fast["values"], plain["values"], atol=1e-6)
    assert fast["p_value"] == plain["p_value"]
    assert 0.05 < fast["p_value"] < 1  # some draws on each side of the observed 2.0


def test_fixed_design_is_patsys_design_of_the_frame():
    """The bootstrap's X (wave read as a Categorical) is patsy's X of the analysis frame, names and all."""
    frame, knots = nd.analysis_frame(simulate_responses(6, 20, seed=8, age_effect=dip_curve))
    for formula in nd.formulas(len(knots) - 1):
        pd.testing.assert_frame_equal(nd.fixed_design(formula, frame), design_matrices(formula, frame)[1])


def test_bootstrap_refit_matches_the_reported_fit():
    """max_loglik (the bootstrap's light refit) reaches the full fit's ML optimum."""
    from borgingsmonitor.models.nested_lmm import partnership_stats

    data = simulate_responses(6, 20, seed=7, age_effect=dip_curve)
    frame, knots = nd.analysis_frame(data)
    for formula in nd.formulas(len(knots) - 1):
        fit = nd.fit_lmm(formula, frame)
        y, X = design_matrices(formula, frame)
        groups = frame["region"].to_numpy(), frame["partnership_id"].to_numpy()
        stats = partnership_stats(y.iloc[:, 0].to_numpy(), X, *groups)
        loglik, _ = nd.max_loglik(stats, [1.0, 1.0])
        assert loglik == pytest.approx(fit.loglik, abs=1e-6)


def test_a_single_partnership_age_is_not_estimable_and_the_run_goes_on(tmp_path):
    """A region's first wave of new partnerships: one age, no curve. The step writes an empty curve
    and contrasts and a test row that says why (the hypothesis is then not testable), instead of failing."""
    from types import SimpleNamespace

    from borgingsmonitor.mechanisms.steps import network_dip as step

    one_age = simulate_responses(10, 12, seed=3, age_effect=linear_curve).assign(partnership_age=2)
    one_age.to_parquet(tmp_path / "responses.parquet")
    out = SimpleNamespace(**{k: tmp_path / f"{k}.csv" for k in ("curve", "contrasts", "model")})
    params = SimpleNamespace(spline_df=3, min_group_size=5, min_partnerships=5, n_boot=0, seed=1)
    step(SimpleNamespace(responses=tmp_path / "responses.parquet"), out, params)
    assert pd.read_csv(out.curve).empty and pd.read_csv(out.contrasts).empty
    model = pd.read_csv(out.model)
    assert model["p_value"].isna().all() and model["method"].str.contains("not estimable").all()


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 150),
    n_regions=st.integers(1, 3),
    n_partnerships=st.integers(1, 5),
    sort_rows=st.booleans(),
    block_rows=st.integers(1, 160),
    seed=st.integers(0, 2**32 - 1),
)
def test_null_draw_statistics_equal_a_plain_pass_over_y(n, n_regions, n_partnerships, sort_rows, block_rows, seed):
    """NullDraws: the statistics of y = mean + u[cell] + e from the mean's statistics and the
    residuals' sums equal the plain pass over [X, y] to rounding, with columns constant within
    runs of rows (intercept, wave dummies, a wave-level column) and columns that vary by row,
    rows in cell order or not. Summed a block of cells at a time they equal the sums over all rows
    at once bit for bit."""
    from borgingsmonitor.models import nested_lmm as nl

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "region": rng.choice([f"r{i}" for i in range(n_regions)], n),
            "partnership": rng.choice([f"p{i}" for i in range(n_partnerships)], n),
            "wave": rng.integers(0, 3, n),
        }
    )
    if sort_rows:
        frame = frame.sort_values(["region", "partnership", "wave"]).reset_index(drop=True)
    X = pd.DataFrame(
        {
            "one": 1.0,
            "w1": (frame["wave"] == 1).astype(float),
            "age": frame["wave"] * 1.5 + 2.0,
            "x": rng.normal(size=n) * 10,
            "z": rng.normal(size=n),
        }
    )
    groups = {"region": frame["region"].to_numpy(), "partnership": frame["partnership"].to_numpy()}
    layout = nl.cell_layout(groups, n)
    mean = X.to_numpy() @ rng.normal(size=X.shape[1])
    draws = nd.NullDraws.of(nl.FixedDesign.of(layout, X), mean, block_rows=block_rows)
    whole = nd.NullDraws.of(nl.FixedDesign.of(layout, X), mean, block_rows=n + 1)
    assert len(whole.blocks) == 1
    for _ in range(2):
        u, e = rng.normal(size=len(layout.counts)), rng.normal(size=n)
        y = mean + np.repeat(u, layout.counts)[np.argsort(layout.order)] + e
        fast, plain = draws.stats(u, e), layout.stats(y, X)
        np.testing.assert_array_equal(fast.zz, whole.stats(u, e).zz)
        np.testing.assert_array_equal(fast.sz, whole.stats(u, e).sz)
        assert fast.columns == plain.columns
        np.testing.assert_array_equal(fast.n, plain.n)
        np.testing.assert_array_equal(fast.labels, plain.labels)
        np.testing.assert_allclose(fast.zz, plain.zz, rtol=1e-12, atol=1e-12 * np.abs(plain.zz).max())
        np.testing.assert_allclose(fast.sz, plain.sz, rtol=1e-12, atol=1e-12 * np.abs(plain.sz).max())
