"""H7 survival: partnership-years, the Firth hazard model, sparse events, the age-scale Cox models,
Kaplan-Meier and Simon-Makuch curves, and what the report may claim."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml
from fixtures.mechanisms import simulate_registry, simulate_responses
from hypothesis import example, given, settings
from hypothesis import strategies as st

from borgingsmonitor.core.registry import load_registry
from borgingsmonitor.mechanisms import survival as sv
from borgingsmonitor.models.hypotheses import declared
from borgingsmonitor.report.sections.summary import hypothesis_summary
from borgingsmonitor.report.translate import Translator
from borgingsmonitor.synthetic.survival import SCALE, simulate_survival


def _registry(rows):
    reg = pd.DataFrame(rows, columns=["partnership_id", "region", "start_year", "funding_end_year", "stopped_year"])
    for col in ["start_year", "funding_end_year", "stopped_year"]:
        reg[col] = pd.array(reg[col], dtype="Int64")
    return reg


def _responses(cells, seed=0):
    """cells: (partnership_id, wave, level); 6 respondents per cell around `level`."""
    rng = np.random.default_rng(seed)
    frames = []
    for pid, wave, level in cells:
        values = {c: level + rng.normal(0, 0.1, 6) for c in sv.CONDITIONS}
        frames.append(pd.DataFrame({"partnership_id": pid, "wave": wave, **values}))
    return pd.concat(frames, ignore_index=True)


def test_partnership_years_follow_the_rules():
    reg = _registry(
        [
            ("A", "r", 2020, 2024, 2024),  # surveyed 2023, stops 2024: one year, event
            ("B", "r", 2021, 2023, None),  # running: 2024 and 2025 at risk (censor 2026)
            ("C", "r", 2019, 2023, 2023),  # stopped in its first surveyed year: not at risk
            ("D", "r", 2024, 2028, None),  # first surveyed in the last wave: nothing yet
            ("E", "r", 2018, 2022, None),  # never surveyed
            ("F", "r", 2020, 2024, 2027),  # stop after the censor year: censored
        ]
    )
    resp = _responses(
        [
            ("A", 2023, 3.0),
            ("B", 2023, 2.0),
            ("B", 2024, 4.0),
            ("B", 2025, 4.5),
            ("C", 2023, 3.0),
            ("D", 2025, 3.0),
            ("F", 2024, 3.5),
            ("F", 2025, 3.5),
        ]
    )
    py = sv.partnership_years(reg, resp).set_index(["partnership_id", "year"])
    assert sorted(py.index) == [("A", 2024), ("B", 2024), ("B", 2025), ("F", 2025)]
    assert py["event"].to_dict() == {("A", 2024): 1, ("B", 2024): 0, ("B", 2025): 0, ("F", 2025): 0}
    # covariates from the latest wave before the year
    assert py.loc[("B", 2024), "covariate_wave"] == 2023
    assert py.loc[("B", 2025), "covariate_wave"] == 2024
    assert py.loc[("B", 2025), "conditions_raw"] == pytest.approx(4.0, abs=0.1)
    assert py.loc[("B", 2024), "funding_ended"] == 1 and py.loc[("A", 2024), "funding_ended"] == 0
    assert py["conditions"].mean() == pytest.approx(0) and py["conditions"].std() == pytest.approx(1)
    excluded = sv.excluded_partnerships(reg, resp).set_index("partnership_id")["reason"]
    assert set(excluded.index) == {"C", "D", "E"}
    # an explicit censor year shortens follow-up
    assert sv.partnership_years(reg, resp, censor_year=2025)["year"].max() == 2024


def test_zero_events_does_not_crash_and_says_so():
    reg = simulate_registry(20, seed=2)
    resp = simulate_responses(6, 20, seed=2, registry=reg)
    table = sv.survival_table(reg, resp)
    hazard = table[table["model"].str.startswith("discrete_hazard")]
    assert hazard["estimate"].isna().all()
    assert hazard["note"].str.contains("no stops").all()
    assert (hazard["n_events"] == 0).all()
    assert table[table["model"].str.startswith("cox_age")]["note"].str.contains("no stops").all()
    km = table[table["model"] == "kaplan_meier"]
    assert np.allclose(km["estimate"], 1.0) and km["term"].str.contains(";t=").all()
    assert list(table.columns[:8]) == sv.SURVIVAL_COLUMNS


def test_separation_is_handled():
    # every stop happens after funding ended and with low conditions: complete separation
    reg = _registry([(f"P{i}", "r", 2018, 2023 if i < 6 else 2030, 2024 if i < 3 else None) for i in range(12)])
    cells = [(f"P{i}", w, (2.0 if i < 3 else 4.0) + 0.05 * i) for i in range(12) for w in (2023, 2024)]
    py = sv.partnership_years(reg, _responses(cells))
    X, names, _ = sv.hazard_design(py)
    assert sv.separated(X, py["event"].to_numpy(float))
    table = sv.discrete_hazard(py).set_index(["model", "term"])
    firth = table.loc["discrete_hazard"]
    assert np.isfinite(firth["estimate"]).all()
    assert firth.loc["conditions", "estimate"] < 0
    assert firth.loc["conditions", "ci_low"] < firth.loc["conditions", "estimate"] < firth.loc["conditions", "ci_high"]
    ml = table.loc["discrete_hazard_ml"]
    assert ml["estimate"].isna().all()
    assert ml["note"].str.contains("separation").all()
    inter = table.loc["discrete_hazard_interaction"]
    assert inter["estimate"].isna().all() and inter["note"].str.contains("interaction not fitted").all()


def test_separated_is_false_for_overlapping_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    y = (rng.random(200) < 1 / (1 + np.exp(-x))).astype(float)
    assert not sv.separated(np.column_stack([np.ones(200), x]), y)


def _hazard_data(n_part=1500, years=4, beta=(-2.5, -0.6, 0.9), seed=6):
    # over seeds 1-6 the conditions estimate averages -0.575 (SD 0.06); seed 4 misses at -0.49
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(n_part):
        level = rng.normal()
        end = rng.integers(2022, 2027)
        for year in range(2024, 2024 + years):
            cond = level + rng.normal(0, 0.3)
            funding = int(year > end)
            eta = beta[0] + beta[1] * cond + beta[2] * funding
            event = int(rng.random() < 1 / (1 + np.exp(-eta)))
            rows.append(
                {
                    "partnership_id": f"P{p}",
                    "year": year,
                    "t": year - 2023,
                    "event": event,
                    "funding_ended": funding,
                    "conditions": cond,
                }
            )
            if event:
                break
    return pd.DataFrame(rows)


def test_hazard_recovers_known_effects():
    py = _hazard_data()
    table = sv.discrete_hazard(py).set_index(["model", "term"])
    for model in ["discrete_hazard", "discrete_hazard_ml"]:
        est = table.loc[model]
        for term, truth in [("intercept", -2.5), ("conditions", -0.6), ("funding_ended", 0.9)]:
            assert est.loc[term, "ci_low"] <= truth <= est.loc[term, "ci_high"], (model, term)
        assert est.loc["conditions", "ci_high"] < 0 and est.loc["funding_ended", "ci_low"] > 0
    # with many events Firth and ML nearly agree
    diff = table.loc["discrete_hazard", "estimate"] - table.loc["discrete_hazard_ml", "estimate"]
    assert np.abs(diff).max() < 0.02
    assert np.isfinite(table.loc["discrete_hazard_interaction", "estimate"]).all()


def test_firth_solves_the_modified_score():
    py = _hazard_data(n_part=80, seed=9)
    X, _, _ = sv.hazard_design(py)
    y = py["event"].to_numpy(float)
    fit = sv.firth_logit(X, y)
    assert fit["converged"]
    p = 1 / (1 + np.exp(-X @ fit["params"]))
    w = p * (1 - p)
    h = w * np.einsum("ij,jk,ik->i", X, np.linalg.inv(X.T @ (w[:, None] * X)), X)
    np.testing.assert_allclose(X.T @ (y - p + h * (0.5 - p)), 0, atol=1e-7)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 6))
@example(seed=5179, n_events=1)  # the profile search went so far out that the fit's information was singular
def test_firth_is_finite_for_any_small_data(seed, n_events):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(20), rng.normal(size=20), rng.integers(0, 2, 20)])
    y = np.zeros(20)
    y[rng.choice(20, n_events, replace=False)] = 1
    terms = sv.firth_terms(X, y, ["intercept", "x", "d"])
    assert np.isfinite(terms["estimate"]).all()
    assert ((terms["p_value"] >= 0) & (terms["p_value"] <= 1)).all()
    found = terms["ci_low"].notna() & terms["ci_high"].notna()  # a bound may be beyond what floats resolve
    assert ((terms["ci_low"] < terms["estimate"]) | ~found).all() and (
        (terms["estimate"] < terms["ci_high"]) | ~found
    ).all()


def test_kaplan_meier_by_hand_follows_the_funding_state():
    # a: stops at age 1; b: funding ends after age 1, stops at age 2; c: censored at 2, funding ended
    # at age 2; d: enters the funding-ended state at age 1 and runs on.
    years = pd.DataFrame(
        {
            "partnership_id": ["a", "b", "b", "c", "c", "d"],
            "start": [0, 0, 1, 0, 1, 0],
            "stop": [1, 1, 2, 1, 2, 1],
            "event": [1, 0, 1, 0, 0, 0],
            "funding_ended": [0, 0, 1, 0, 1, 1],
        }
    )
    km = sv.kaplan_meier(years).set_index("term")
    assert km.loc["all;t=1", "estimate"] == pytest.approx(3 / 4)
    assert km.loc["all;t=2", "estimate"] == pytest.approx(3 / 4 * 1 / 2)
    # funding not ended: a, b, c at risk at age 1 (d was already in the other state)
    assert km.loc["funding_ended=no;t=1", "estimate"] == pytest.approx(2 / 3)
    assert km.loc["funding_ended=no;t=1", "n_at_risk"] == 3
    # funding ended: d at age 1 (no stop), b and c at age 2 (b stops)
    assert km.loc["funding_ended=yes;t=1", "estimate"] == pytest.approx(1.0)
    assert km.loc["funding_ended=yes;t=2", "estimate"] == pytest.approx(1 / 2)
    assert km.loc["funding_ended=yes;t=2", "n_at_risk"] == 2
    assert km.loc["funding_ended=yes;t=0", "note"] == "entry"


def test_product_limit_equals_lifelines_without_late_entry():
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(5)
    durations = rng.integers(1, 8, 60)
    events = rng.random(60) < 0.4
    years = pd.DataFrame(
        [
            {"start": a - 1, "stop": a, "event": int(e and a == d)}
            for d, e in zip(durations, events)
            for a in range(1, d + 1)
        ]
    )
    ours = sv.product_limit(years).set_index("t")
    km = KaplanMeierFitter().fit(durations, events)
    ci = km.confidence_interval_survival_function_
    for t in range(1, durations.max() + 1):
        assert ours.loc[t, "estimate"] == pytest.approx(km.survival_function_.loc[t].iloc[0], abs=1e-12)
        if ours.loc[t, "estimate"] < 1:
            assert ours.loc[t, "ci_low"] == pytest.approx(ci.loc[t].iloc[0], abs=1e-9)
            assert ours.loc[t, "ci_high"] == pytest.approx(ci.loc[t].iloc[1], abs=1e-9)


# --- Amendment 1: partnership age as time, left truncation, every registry partnership -------------

EXAMPLE_REGISTRY = Path(__file__).resolve().parents[1] / "data/example/registry/partnerships.csv"


def test_at_risk_years_start_at_the_start_year_and_mark_the_surveyed_years():
    reg = _registry(
        [
            ("A", "r", 2019, 2022, None),  # surveyed from 2023: ages 1-6 at risk, surveyed from age 5 (2024)
            ("E", "r", 2018, 2022, 2021),  # stopped before any survey: registry-only, event at age 3
        ]
    )
    years = sv.at_risk_years(reg, _responses([("A", 2023, 3.0), ("A", 2025, 3.4)]))
    a, e = years[years["partnership_id"] == "A"], years[years["partnership_id"] == "E"]
    assert a["stop"].tolist() == [1, 2, 3, 4, 5, 6] and (a["start"] == a["stop"] - 1).all()
    assert a.loc[a["surveyed"], "year"].tolist() == [2024, 2025]
    assert a.loc[a["surveyed"], "covariate_wave"].tolist() == [2023, 2023]  # 2025's wave counts from 2026
    assert a.loc[a["funding_ended"] == 1, "year"].min() == 2023
    assert e["stop"].tolist() == [1, 2, 3] and e["event"].tolist() == [0, 0, 1] and not e["surveyed"].any()
    py = sv.partnership_years(reg, _responses([("A", 2023, 3.0), ("A", 2025, 3.4)]))
    assert py["year"].tolist() == [2024, 2025] and py["t"].tolist() == [1, 2]


def test_stopped_partnerships_never_surveyed_are_counted_and_analysed():
    registry = load_registry(EXAMPLE_REGISTRY)
    surveyed = registry.loc[registry["stopped_year"].isna(), "partnership_id"]
    responses = pd.DataFrame({"partnership_id": surveyed, "wave": 2023, **dict.fromkeys(sv.CONDITIONS, 3.0)})
    responses = pd.concat([responses, responses.assign(wave=2025)], ignore_index=True)
    table = sv.survival_table(registry, responses)
    counts = sv.registry_counts(table)
    assert counts["partnerships"][0] == 28 and counts["never_surveyed"] == (2, "HEL-02, WBR-04")
    assert counts["stopped"] == (2, "HEL-02, WBR-04") and counts["stopped_never_surveyed"][0] == 2
    assert counts["at_risk_from_start"][0] == 28 and counts["at_risk_from_first_survey"][0] == 26
    by_model = table.groupby("model")[["n_partnerships", "n_events"]].max()
    assert by_model.loc["cox_registry"].tolist() == [28, 2] and by_model.loc["cox_age"].tolist() == [26, 0]
    km = table[(table["model"] == "kaplan_meier") & table["term"].str.startswith("all;")].set_index("term")
    assert km["n_partnerships"].max() == 28 and km["n_events"].max() == 2
    assert km.loc["all;t=1", "estimate"] == pytest.approx(27 / 28)  # HEL-02 stopped at age 1
    # both stops fall before any funding ended and every funding period is 4 years: nothing to estimate
    cox = table[table["model"] == "cox_registry"]
    assert cox["estimate"].isna().all() and cox["note"].str.contains("not estimable").all()


CONFIG = yaml.safe_load((Path(__file__).parents[1] / "config" / "config.yaml").read_text(encoding="utf-8"))
HYPOTHESES = declared(CONFIG["hypotheses"]["declared"])


def _h7(survival: pd.DataFrame, language: str = "nl") -> str:
    """The report's H7 summary sentence for a supported main effect and this survival table."""
    h = SimpleNamespace(
        hypothesis="H7",
        estimate=-0.7,
        ci_low=-0.9,
        ci_high=-0.5,
        p_value=1e-6,
        p_adjusted=1e-5,
        supported="yes",
        test="cox",
    )
    row = {k: getattr(h, k) for k in ("hypothesis", "test", "estimate", "ci_low", "ci_high", "p_value", "p_adjusted")}
    tables = {"survival": survival, "hypotheses": pd.DataFrame([{**row, "supported": "yes"}])}
    inputs = SimpleNamespace(
        tables=tables,
        provenance={"config": {"hypotheses": {"alpha": 0.05}}},
        hypotheses=[h7 for h7 in HYPOTHESES if h7.id == "H7"],
    )
    return hypothesis_summary(Translator(language), inputs, h)


@pytest.fixture(scope="module")
def simulated():
    """Cox tables on simulated data: interaction truly negative, truly positive, and too few stops."""
    out = {}
    for name, n, effects in (
        ("negative", 500, {"conditions:funding_ended": -0.8}),
        ("positive", 500, {"conditions:funding_ended": 0.8}),
        ("sparse", 40, {"baseline": -4.5}),
    ):
        registry, responses, truth = simulate_survival(n, seed=21, effects=effects)
        years = sv.at_risk_years(registry, responses)
        out[name] = (years, sv.cox_models(years), truth)
    return out


def test_after_funding_is_claimed_only_when_the_interaction_says_so(simulated):
    negative, positive, sparse = (sv.funding_claim(simulated[k][1]) for k in ("negative", "positive", "sparse"))
    assert negative["status"] == "supported" and negative["estimate"] < 0 and negative["p_value"] < 0.05
    assert positive["status"] == "not_supported" and positive["estimate"] > 0
    assert sparse["status"] == "not_fitted" and (
        "interaction not fitted" in sparse["note"] or "not estimable" in sparse["note"]
    )
    assert "Sterkere condities beschermen vooral na het einde" in _h7(simulated["negative"][1])
    assert "niet getoetst" not in _h7(simulated["negative"][1]) and "wordt niet" not in _h7(simulated["negative"][1])
    for name in ("positive", "sparse"):
        text = _h7(simulated[name][1])
        assert "Sterkere condities beschermen vooral" not in text
        assert ("niet getoetst" in text) == (name == "sparse") and ("wordt niet ondersteund" in text) == (
            name == "positive"
        )
    assert "Stronger conditions protect above all after the temporary funding has ended (interaction" in _h7(
        simulated["negative"][1], "en"
    )
    assert "That stronger conditions protect above all after the temporary funding has ended is not supported" in _h7(
        simulated["positive"][1], "en"
    )
    # the hypothesis statement's "vooral na ..." never rides along with "ondersteund"
    assert _h7(simulated["sparse"][1]).startswith(
        "H7 ondersteund: Partnerschappen met sterkere condities stoppen minder vaak."
    )


def test_cox_recovers_the_known_effects(simulated):
    years, table, truth = simulated["negative"]
    sd = years.loc[years["surveyed"], "conditions_raw"].std() / SCALE  # the model's unit is one SD over the rows
    est = table.set_index(["model", "term"])
    for term, true in (
        ("conditions", truth["conditions"] * sd),
        ("conditions:funding_ended", truth["conditions:funding_ended"] * sd),
        ("funding_ended", truth["funding_ended"]),
    ):
        row = est.loc[("cox_age_interaction", term)]
        assert abs(row["estimate"] - true) < 3 * row["std_error"], (term, row["estimate"], true)


def test_cox_equals_statsmodels_phreg_with_entry_times(simulated):
    from statsmodels.duration.hazard_regression import PHReg

    years, table, _ = simulated["negative"]
    rows = years[years["surveyed"]]
    z = (rows["conditions_raw"] - rows["conditions_raw"].mean()) / rows["conditions_raw"].std()
    X = np.column_stack([z, rows["funding_ended"]])
    ours = table[table["model"] == "cox_age"]

    def phreg(shift):
        return PHReg(
            rows["stop"].to_numpy(float),
            X,
            status=rows["event"].to_numpy(),
            entry=rows["start"].to_numpy(float) + shift,
            ties="efron",
        ).fit()

    # PHReg counts a row entering at t as at risk at t; in (start, stop] data it is not, and with
    # whole-year ages every entry coincides with stop times: shift the entries a hair
    fit = phreg(1e-6)
    assert np.allclose(ours["estimate"], fit.params, atol=1e-5) and np.allclose(ours["std_error"], fit.bse, atol=1e-5)
    assert not np.allclose(ours["estimate"], phreg(0.0).params, atol=1e-2)


def test_equal_funding_periods_leave_funding_ended_out_and_fit_the_rest(simulated):
    years, _, _ = simulated["negative"]
    equal = years.assign(funding_ended=(years["stop"] > 4).astype(int))
    table = sv.cox_models(equal).set_index(["model", "term"])
    assert np.isnan(table.loc[("cox_age", "funding_ended"), "estimate"])
    assert "function of age" in table.loc[("cox_age", "funding_ended"), "note"]
    assert np.isfinite(table.loc[("cox_age", "conditions"), "estimate"])
    assert np.isfinite(table.loc[("cox_age_interaction", "conditions:funding_ended"), "estimate"])


def test_monotone_likelihood_is_not_estimable():
    # every stop has the highest conditions of its risk set: the estimate runs off to +infinity
    X = np.array([[0.0], [1.0], [3.0], [2.8], [0.5], [2.5]])
    start, stop = np.zeros(6), np.array([1.0, 2.0, 3.0, 4.0, 4.0, 4.0])
    assert sv.monotone_likelihood(X, start, stop, np.array([0, 0, 1, 1, 0, 0]))
    assert not sv.monotone_likelihood(X, start, stop, np.array([0, 0, 1, 0, 1, 0]))


def test_sheet_index_names_registry_partnerships_without_a_sheet():
    from borgingsmonitor.report.sheets import without_sheet

    registry = pd.DataFrame(
        {"partnership_id": ["A", "B", "C"], "name": ["Route A", "Route B", "Route C"], "stopped_year": ["", "2022", ""]}
    )
    responses = pd.DataFrame({"partnership_id": ["A", "C"]})
    lines = without_sheet(registry, responses, pd.DataFrame({"partnership_id": ["A"]}), Translator("nl"))
    assert lines == [
        "B (Route B): nooit bevraagd. Gestopt in 2022.",
        "C (Route C): te weinig respondenten in de laatste meting.",
    ]
