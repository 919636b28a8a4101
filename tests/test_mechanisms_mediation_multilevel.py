"""H5 as multilevel mediation: within and between indirect effects (Amendment 1)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures.report import QUESTIONNAIRE
from scipy import stats

from borgingsmonitor.mechanisms import mediation_multilevel as mm
from borgingsmonitor.mechanisms.mediation import MEDIATION_COLUMNS
from borgingsmonitor.synthetic.mediation import simulate_mediation

REFERENCE = json.loads((Path(__file__).parent / "data" / "mediation_multilevel_lme4.json").read_text())
LARGE = dict(n_responses=3000, n_regions=4, n_partnerships=120)


def rows_for(paths, seed=2, n_draws=4000, **design):
    data, truth = simulate_mediation(seed=seed, paths=paths, **(design or LARGE))
    return mm.multilevel_rows(data, n_draws=n_draws, seed=1).set_index("effect"), truth


def test_paths_equal_lme4_reference():
    data, _ = simulate_mediation(**REFERENCE["simulate_mediation"])
    frame = mm.analysis_frame(data)
    ref = REFERENCE["datasets"]["simulated"]
    assert len(frame) == ref["n_obs"]
    rows = mm.multilevel_rows(data, n_draws=100).set_index("effect")
    for effect in mm.PATH_EFFECTS:
        assert rows.loc[effect, "estimate"] == pytest.approx(ref["estimate"][effect], abs=1e-4)
        assert rows.loc[effect, "std_error"] == pytest.approx(ref["std_error"][effect], abs=1e-4)
        assert rows.loc[effect, "df"] == pytest.approx(ref["df"][effect], rel=1e-4)  # lmerTest Satterthwaite
        assert rows.loc[effect, "p_value"] == pytest.approx(ref["p_value"][effect], abs=1e-4)


def test_between_indirect_effect_present_is_found():
    rows, _ = rows_for({"a_between": 0.6, "b_between": 0.6, "a_within": 0.0})
    between, within = rows.loc["indirect_between"], rows.loc["indirect_within"]
    assert between.ci_low > 0 and between.p_value < 0.05
    assert within.ci_low < 0 < within.ci_high


def test_between_indirect_effect_absent_is_not_claimed():
    rows, _ = rows_for({"a_between": 0.0, "a_within": 0.3, "b_within": 0.4})
    between, within = rows.loc["indirect_between"], rows.loc["indirect_within"]
    assert between.ci_low < 0 < between.ci_high and between.p_value > 0.05
    assert within.ci_low > 0


def test_single_level_and_multilevel_disagree_when_the_levels_do():
    """A within-only mechanism is a positive pooled indirect effect but no between one."""
    data, _ = simulate_mediation(seed=4, paths={"a_between": 0.0, "a_within": 0.3, "b_within": 0.4}, **LARGE)
    table = mm.h5_table(data, n_boot=200, n_draws=2000, seed=3).set_index("effect")
    assert table.loc["indirect", "ci_low"] > 0
    assert table.loc["indirect_between", "ci_low"] < 0 < table.loc["indirect_between", "ci_high"]


def test_table_layout_and_determinism():
    data, _ = simulate_mediation(seed=5)
    table = mm.h5_table(data, n_boot=200, n_draws=1000, seed=9)
    assert list(table.columns[: len(MEDIATION_COLUMNS)]) == MEDIATION_COLUMNS
    assert list(table.columns[-5:]) == ["method", "std_error", "n_draws", "region_effect", "df"]
    assert list(table["effect"]) == ["a", "b", "direct", "indirect", "total", *mm.ML_EFFECTS]
    assert table["effect"].is_unique
    multi = table[table["method"] == mm.METHOD]
    assert multi["n_boot"].isna().all() and (multi["region_effect"] == "fixed").all()
    assert (multi.set_index("effect").loc[list(mm.DERIVED_EFFECTS), "n_draws"] == 1000).all()
    pd.testing.assert_frame_equal(table, mm.h5_table(data, n_boot=200, n_draws=1000, seed=9))
    other = mm.h5_table(data, n_boot=200, n_draws=1000, seed=10)
    assert not np.allclose(table["ci_low"].iloc[-1], other["ci_low"].iloc[-1])


def test_too_few_partnerships_leave_the_multilevel_rows_empty_with_the_reason():
    """One region with three partnerships cannot carry three between terms and an intercept: the
    registered rows stay, the multilevel rows are empty and say why, and the run goes on."""
    data, _ = simulate_mediation(seed=5)
    few = data[data["partnership_id"].isin(sorted(data["partnership_id"].unique())[:3])]
    table = mm.h5_table(few, n_boot=50, n_draws=500, seed=9).set_index("effect")
    assert table.loc[["a", "indirect"], "estimate"].notna().all()
    multi = table.loc[list(mm.ML_EFFECTS)]
    assert multi["estimate"].isna().all() and multi["method"].str.contains("not estimable").all()


def test_derived_effects_are_products_and_sums():
    rows, _ = rows_for({}, seed=6, n_draws=1000)
    e = rows["estimate"]
    for lv in mm.LEVELS:
        assert e[f"indirect_{lv}"] == pytest.approx(e[f"a_{lv}"] * e[f"b_{lv}"], rel=1e-12)
        assert e[f"total_{lv}"] == pytest.approx(e[f"direct_{lv}"] + e[f"indirect_{lv}"], rel=1e-12)
    assert e["indirect_difference"] == pytest.approx(e["indirect_between"] - e["indirect_within"], rel=1e-12)


def test_monte_carlo_sd_matches_the_exact_sd_of_a_product():
    """The draws of a and b are independent scaled t's on their df: var = se^2 df / (df - 2)."""
    rows, _ = rows_for({}, seed=8, n_draws=200_000)
    for lv in mm.LEVELS:
        a, b = rows.loc[f"a_{lv}"], rows.loc[f"b_{lv}"]
        va, vb = (r.std_error**2 * r.df / (r.df - 2) for r in (a, b))
        exact = np.sqrt(a.estimate**2 * vb + b.estimate**2 * va + va * vb)
        assert rows.loc[f"indirect_{lv}", "std_error"] == pytest.approx(exact, rel=0.01)


@pytest.fixture(scope="module")
def example_like():
    """Like the example: 26 partnerships in 4 regions, so the between paths have ~20 df."""
    data, _ = simulate_mediation(n_responses=1400, n_regions=4, n_partnerships=26, seed=7)
    fits = mm.fit_paths(mm.analysis_frame(data))
    return fits, mm.multilevel_rows(data, n_draws=200_000, seed=1).set_index("effect")


def test_path_intervals_are_t_on_the_satterthwaite_df(example_like):
    fits, rows = example_like
    for effect, (model, coef) in mm.path_terms().items():
        row = rows.loc[effect]
        assert row.df == pytest.approx(fits[model].df[coef], rel=1e-12)
        crit = stats.t.ppf(0.975, row.df)
        assert row.ci_high - row.estimate == pytest.approx(crit * row.std_error, rel=1e-9)
        assert row.p_value == pytest.approx(2 * stats.t.sf(abs(row.estimate / row.std_error), row.df), rel=1e-9)
    assert (rows.loc[["a_between", "b_between", "direct_between"], "df"] < 30).all()
    assert (rows.loc[["a_within", "b_within", "direct_within"], "df"] > 1000).all()


def test_monte_carlo_draws_of_a_path_follow_its_t_interval(example_like):
    """Each path is drawn from the distribution its own interval uses, so the Monte Carlo total of
    a between path with no indirect part would be its t interval, not the shorter z one."""
    fits, rows = example_like
    draws = mm.monte_carlo(fits, 200_000, seed=3)
    for j, effect in enumerate(mm.PATH_EFFECTS):
        low, high = np.quantile(draws[:, j], [0.025, 0.975])
        row = rows.loc[effect]
        assert high - low == pytest.approx(row.ci_high - row.ci_low, rel=0.01), effect
    normal = mm.monte_carlo(fits, 200_000, seed=3, normal=True)
    j = mm.PATH_EFFECTS.index("direct_between")
    assert np.ptp(np.quantile(normal[:, j], [0.025, 0.975])) < 0.97 * (
        rows.loc["direct_between", "ci_high"] - rows.loc["direct_between", "ci_low"]
    )


def test_decomposition_sums_back_and_centres_within():
    data, _ = simulate_mediation(seed=3)
    frame = mm.analysis_frame(data)
    for v in ("FAC", "REL", "PRO", "ORG"):
        assert np.allclose(frame[f"{v}_between"] + frame[f"{v}_within"], frame[v])
        assert np.allclose(frame.groupby("partnership_id")[f"{v}_within"].mean(), 0)


def test_region_random_from_ten_regions():
    data, _ = simulate_mediation(n_responses=1500, n_regions=10, n_partnerships=40, seed=2)
    fits = mm.fit_paths(mm.analysis_frame(data))
    assert fits["region_effect"] == "random"
    assert not any("region" in c for c in fits["a"].params.index)
    data9, _ = simulate_mediation(n_responses=1500, n_regions=9, n_partnerships=40, seed=2)
    assert mm.fit_paths(mm.analysis_frame(data9))["region_effect"] == "fixed"


@pytest.mark.parametrize("language", ["nl", "en"])
def test_report_sentence_follows_the_between_interval(language):
    from borgingsmonitor.core.questionnaire import load_questionnaire
    from borgingsmonitor.report.sections.rq4 import mediation_levels_text
    from borgingsmonitor.report.translate import Translator

    t = Translator(language, load_questionnaire(QUESTIONNAIRE))
    med = pd.DataFrame(
        {
            "effect": ["indirect", "indirect_within", "indirect_between"],
            "estimate": [0.08, 0.007, 0.12],
            "ci_low": [0.03, -0.01, -0.04],
            "ci_high": [0.14, 0.02, 0.31],
        }
    )
    not_shown = mediation_levels_text(t, med)
    shown = mediation_levels_text(t, med.assign(ci_low=[0.03, 0.001, 0.02]))
    assert not_shown == t("text.rq4_between_not_shown", estimate=t.num(0.12), ci=t.ci(-0.04, 0.31)) + " " + t(
        "text.rq4_within_not_shown", estimate=t.num(0.007), ci=t.ci(-0.01, 0.02)
    )
    assert shown.startswith(t("text.rq4_between_shown", estimate=t.num(0.12), ci=t.ci(0.02, 0.31)))
    assert mediation_levels_text(t, med.iloc[:1]) == ""
