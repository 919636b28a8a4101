"""The report on the shape of the real pilot tables: H7 without stops, translated tests, fixed effects only,
variance and sensitivity tables, all-region lines on the sheets, registry region names, figure axes."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from fixtures.report import (
    HYPOTHESES,
    QUESTIONNAIRE,
    build_registry,
    build_responses,
    build_tables,
    group_means,
    hybrid_rows,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.models.table import VARIANCE_TERMS
from borgingsmonitor.report import figures as F
from borgingsmonitor.report.content import build_report
from borgingsmonitor.report.document import ReportInputs
from borgingsmonitor.report.html import render_report_html
from borgingsmonitor.report.names import read_registry, region_names
from borgingsmonitor.report.sections.methods import find_seeds
from borgingsmonitor.report.sections.rq3 import fixed_effects, term_label
from borgingsmonitor.report.sheets import sheet_context, waves_lines
from borgingsmonitor.report.translate import Translator

MIN = 5
SENSITIVITY = ("conditions_mixed_mi", "ordinal_dur_continue", "ordinal_dur_embedded")


@pytest.fixture(scope="module")
def questionnaire():
    return load_questionnaire(QUESTIONNAIRE)


def model_rows(model, terms, method="REML"):
    return [
        {
            "model": model,
            "term": term,
            "estimate": est,
            "std_error": se,
            "ci_low": None if se is None else est - 0.1,
            "ci_high": None if se is None else est + 0.1,
            "p_value": None if se is None else 0.001,
            "p_adjusted": None,
            "n_obs": 300,
            "n_groups": 16,
            "method": method,
        }
        for term, est, se in terms
    ]


def real_shaped_models() -> pd.DataFrame:
    """models.csv as the pilot writes it: wave dummies, variance rows, MI diagnostics, ordinal cut points."""
    fixed = [
        ("Intercept", 1.1, 0.2),
        ("C(wave)[T.2024]", -0.01, 0.04),
        ("C(wave)[T.2025]", -0.07, 0.04),
        ("REL", 0.34, 0.03),
        ("FAC", 0.14, 0.03),
        ("PRO", 0.09, 0.02),
        ("ORG", 0.17, 0.03),
    ]
    variance = [(term, 0.1 + i, None) for i, term in enumerate(VARIANCE_TERMS)]
    rows = model_rows("conditions_mixed", fixed + variance) + model_rows("conditions_mixed_std", fixed + variance)
    rows += model_rows(
        "conditions_mixed_mi", fixed + variance + [("df_barnard_rubin:REL", 1400.0, None), ("lambda:REL", 0.004, None)]
    )
    for name in SENSITIVITY[1:]:
        rows += model_rows(
            name, fixed[1:] + [(f"cut_{k}|{k + 1}", 2.0 * k, 0.5) for k in range(1, 5)], "ML; cumulative logit"
        )
    rows += model_rows(
        "network_dip", [("lrt_spline_vs_linear", 21.24, None), ("spline:loglik", -1241.0, None)], "LMM ML; LR chi2 df=2"
    )
    models = pd.DataFrame(hybrid_rows(300) + rows)
    lrt = models["term"] == "lrt_spline_vs_linear"
    models.loc[lrt, ["p_value", "p_adjusted"]] = [2.4e-5, 3.7e-5]
    models.loc[
        (models["model"] == "conditions_mixed") & models["term"].isin(["REL", "FAC", "PRO", "ORG"]), "p_adjusted"
    ] = 0.001
    return models


def no_stop_survival(with_counts: bool = True) -> pd.DataFrame:
    note = "not estimable: no stops in 47 partnership-years"
    rows = [
        {
            "model": model,
            "term": term,
            "estimate": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "p_value": np.nan,
            "n_partnerships": 26,
            "n_events": 0,
            "std_error": np.nan,
            "n_at_risk": 47,
            "method": "Firth",
            "note": note,
        }
        for model in ("cox_age", "discrete_hazard", "discrete_hazard_ml")
        for term in ("intercept", "conditions", "funding_ended")
    ]
    for group, n in (("no", 20), ("yes", 6)):
        rows += [
            {
                "model": "kaplan_meier",
                "term": f"funding_ended={group};t={t}",
                "estimate": 1.0,
                "ci_low": 1.0,
                "ci_high": 1.0,
                "p_value": np.nan,
                "n_partnerships": n,
                "n_events": 0,
                "std_error": np.nan,
                "n_at_risk": n,
                "method": "KM",
                "note": "",
            }
            for t in (1, 2)
        ]
    rows.append(
        {
            "model": "kaplan_meier",
            "term": "logrank:funding_ended",
            "estimate": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "p_value": np.nan,
            "n_partnerships": 26,
            "n_events": 0,
            "std_error": np.nan,
            "n_at_risk": 26,
            "method": "log-rank",
            "note": "no stops: no test",
        }
    )
    surv = pd.DataFrame(rows)
    return surv if with_counts else surv.drop(columns=["n_at_risk"])


TESTS = {h.id: h.description for h in HYPOTHESES}


def real_shaped_hypotheses() -> pd.DataFrame:
    rows = []
    for k, (est, p) in enumerate(
        [(0.34, 1e-30), (0.14, 1e-8), (0.09, 1e-4), (0.17, 1e-10), (0.08, 0.074), (21.24, 2.4e-5)], start=1
    ):
        rows.append(
            {
                "hypothesis": f"H{k}",
                "test": TESTS[f"H{k}"],
                "estimate": est,
                "ci_low": np.nan if k == 6 else est - 0.05,
                "ci_high": np.nan if k == 6 else est + 0.05,
                "p_value": p,
                "p_adjusted": p * 1.2,
                "supported": "no" if k == 5 else "yes",
            }
        )
    rows.append(
        {
            "hypothesis": "H7",
            "test": TESTS["H7"] + " (no p-value: not estimable: no stops in 47 partnership-years)",
            "estimate": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "p_value": np.nan,
            "p_adjusted": np.nan,
            "supported": "not_testable",
        }
    )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def pilot(questionnaire):
    rng = np.random.default_rng(7)
    registry = build_registry(rng)
    registry["region"] = registry["region"].str.replace("Den Bosch", "'s-Hertogenbosch")  # not the slug's spelling
    responses = build_responses(rng, registry, questionnaire)
    tables = {k.split("/")[-1].removesuffix(".csv"): v for k, v in build_tables(rng, responses, MIN).items()}
    tables.update(models=real_shaped_models(), survival=no_stop_survival(), hypotheses=real_shaped_hypotheses())
    registry = registry.apply(lambda c: c.astype(str).str.strip() if c.dtype == object else c)
    prov = {
        "config": {
            "bootstrap": {"seed": 1},
            "models": [
                {"name": "conditions_mixed", "formula": "DUR ~ REL + FAC + PRO + ORG + C(wave)", "family": "gaussian"},
                {
                    "name": "conditions_mixed_mi",
                    "formula": "DUR ~ REL + FAC + PRO + ORG + C(wave)",
                    "family": "gaussian",
                    "imputation": {"m": 20, "seed": 20250},
                },
            ],
        }
    }
    out = {"responses": responses, "registry": registry, "tables": tables}
    for lang in ("nl", "en"):
        inputs = ReportInputs(
            responses,
            tables,
            registry,
            questionnaire,
            prov,
            {},
            language=lang,
            min_group_size=MIN,
            hypotheses=HYPOTHESES,
        )
        doc = build_report(inputs)
        out[lang] = {"doc": doc, "html": render_report_html(doc, Translator(lang, questionnaire)), "inputs": inputs}
    return out


def bullets(doc) -> list[str]:
    return [item for b in doc.blocks if b.kind == "bullets" for item in b.items]


def table(doc, caption: str):
    return next(b for b in doc.blocks if b.kind == "table" and b.text == caption)


def test_h7_without_stops_says_why_in_both_languages(pilot):
    expect = {
        "nl": ("H7 niet te toetsen", "nog geen leerroute gestopt", "47 jaren van 26 leerroutes", "niet te toetsen"),
        "en": (
            "H7 not testable",
            "no learning route has stopped yet",
            "47 years of 26 learning routes",
            "not testable",
        ),
    }
    for lang, (lead, why, counts, verdict) in expect.items():
        doc = pilot[lang]["doc"]
        h7 = [b for b in bullets(doc) if b.startswith("H7")]
        assert len(h7) == 1 and h7[0].startswith(lead) and why in h7[0] and counts in h7[0], h7
        assert not re.search(r"\s[,.]|\(\s*\)|\{\w+\}", h7[0]), h7[0]
        rows = table(doc, Translator(lang)("sections.hypotheses")).rows
        assert rows[-1][-1].text == verdict and rows[-1][2].text == "–"
        assert why in table(doc, Translator(lang)("sections.hypotheses")).note
        assert any(b.kind == "paragraph" and why in b.text for b in doc.blocks)  # RQ6 says it too


def test_h7_sentence_without_risk_counts(pilot, questionnaire):
    inputs = pilot["nl"]["inputs"]
    tables = {**inputs.tables, "survival": no_stop_survival(with_counts=False)}
    doc = build_report(
        ReportInputs(
            inputs.responses,
            tables,
            inputs.registry,
            questionnaire,
            inputs.provenance,
            {},
            language="nl",
            min_group_size=MIN,
            hypotheses=HYPOTHESES,
        )
    )
    h7 = next(b for b in bullets(doc) if b.startswith("H7"))
    assert "is nog geen leerroute gestopt. " in h7 and "jaren van" not in h7


def test_dutch_report_has_no_english_test_descriptions(pilot):
    html = pilot["nl"]["html"]
    for text in TESTS.values():
        assert text not in html
    for fragment in (
        "linear mixed model",
        "random intercepts",
        "partnership-clustered",
        "Wald z",
        "log odds ratio",
        "not estimable",
        "var_region",
        "icc_same_partnership",
        "C(wave)[T.",
        "cut_1|2",
        "lambda:",
    ):
        assert fragment not in html, fragment
    t = Translator("nl")
    tests = [r[1].text for r in table(pilot["nl"]["doc"], t("sections.hypotheses")).rows]
    assert tests == [h.test_wording["nl"] for h in HYPOTHESES]


def test_coefficient_table_holds_fixed_effects_only(pilot):
    t = Translator("en")
    rows = table(pilot["en"]["doc"], t("models.conditions_mixed")).rows
    labels = [r[0].text for r in rows]
    assert labels[:3] == ["Intercept", "Wave 2024 (vs 2023)", "Wave 2025 (vs 2023)"]
    assert len(rows) == 7
    for term in VARIANCE_TERMS:
        assert term not in labels and t.term(term) not in labels
    kept = fixed_effects(real_shaped_models(), "conditions_mixed_mi")["term"].tolist()
    assert kept == ["Intercept", "C(wave)[T.2024]", "C(wave)[T.2025]", "REL", "FAC", "PRO", "ORG"]
    ordinal = fixed_effects(real_shaped_models(), "ordinal_dur_continue")["term"]
    assert not ordinal.str.startswith("cut_").any()


def test_forest_plot_shows_the_four_conditions_only():
    rows, name = F.forest_rows(real_shaped_models())
    assert rows["term"].tolist() == ["REL", "FAC", "PRO", "ORG"] and name == "conditions_mixed_std"
    rows, name = F.forest_rows(real_shaped_models(), HYPOTHESES)
    assert rows["term"].tolist() == [h.term for h in HYPOTHESES if h.model == name] and name == HYPOTHESES[0].model


def test_rq3_shows_the_hybrid_model_the_hypotheses_read(pilot):
    t = Translator("en", load_questionnaire(QUESTIONNAIRE))
    doc = pilot["en"]["doc"]
    main = table(doc, t("models.conditions_hybrid"))
    assert main.columns == [
        t("col.term"),
        t("col.level"),
        t("col.b"),
        t("col.ci"),
        t("col.df"),
        t("col.p"),
        t("col.p_adjusted"),
    ]
    first = [c.text for c in main.rows[0]]
    assert first[:5] == ["H1. Relational conditions (REL)", "between", "0.45", "[0.30; 0.60]", "17.5"]
    assert [c.text for c in main.rows[1]][:2] == ["Relational conditions (REL)", "within"]
    assert any(r[0].text.startswith("Region") and "(vs " in r[0].text for r in main.rows)
    paragraphs = [b.text for b in doc.blocks if b.kind == "paragraph"]
    assert t("text.rq3_region_fixed", n=4, threshold=10) in paragraphs


def test_variance_and_sensitivity_tables_in_rq3(pilot):
    t = Translator("nl", load_questionnaire(QUESTIONNAIRE))
    doc = pilot["nl"]["doc"]
    variance = table(doc, t("sub.variance"))
    assert [r[0].text for r in variance.rows][:3] == [
        t.term("var_partnership"),
        t.term("var_partnership_wave"),
        t.term("var_residual"),
    ]
    assert "loglik" not in str([r[0].text for r in variance.rows])
    registered = table(doc, t("sub.variance_registered"))
    assert [r[0].text for r in registered.rows][:3] == [
        t.term("var_region"),
        t.term("var_partnership"),
        t.term("var_residual"),
    ]
    assert t.term("icc_same_partnership") in [r[0].text for r in registered.rows]
    sens = table(doc, t("sub.sensitivity"))
    assert len(sens.columns) == 5 and sens.columns[1].startswith("H1: ")
    assert [r[0].text for r in sens.rows][:3] == [
        t("sensitivity.hypothesis_model"),
        t("sensitivity.main"),
        t("sensitivity.mi"),
    ]
    assert len(sens.rows) == 3 + len(SENSITIVITY)  # the hybrid, the registered, its standardised version, ...
    assert t.item("dur_continue") in sens.rows[4][0].text
    assert sens.rows[1][1].text == "0,34 [0,24; 0,44]"
    # PRO between: not significant in the hybrid, positive (p = .001) elsewhere -> marked, and said
    assert sens.rows[1][3].text.endswith("†") and not sens.rows[1][1].text.endswith("†")
    said = next(
        b.text for b in doc.blocks if b.kind == "paragraph" and b.text.startswith(t("text.rq3_sensitivity_intro"))
    )
    assert "H3 (PRO)" in said and "niet af van het model" not in said
    order = [b.text for b in doc.blocks if b.kind == "heading"]
    assert order.index(t("sub.variance")) > order.index(t("sections.rq3")) and order.index(
        t("sub.sensitivity")
    ) < order.index(t("sections.rq4"))


def test_network_dip_names_the_likelihood_ratio_test_only(pilot):
    paragraphs = [b.text for b in pilot["nl"]["doc"].blocks if b.kind == "paragraph"]
    lr = [p for p in paragraphs if "χ²(2) = 21,24" in p]
    assert len(lr) == 1 and "p < 0,001" in lr[0]
    assert not any("loglik" in p for p in paragraphs)


def test_region_names_come_from_the_registry_through_partnerships(pilot):
    names = region_names(pilot["registry"], pilot["responses"])
    assert names["den-bosch"] == "'s-Hertogenbosch"
    html = pilot["nl"]["html"]
    assert "&#39;s-Hertogenbosch" in html and ">den-bosch<" not in html and ">Den Bosch<" not in html
    assert region_names(pilot["registry"])["helmond"] == "Helmond"  # without responses: by spelling


def test_registry_ids_and_regions_are_stripped(tmp_path):
    path = tmp_path / "reg.csv"
    path.write_text("partnership_id,region,name\n HEL-01 ,Helmond ,A\n", encoding="utf-8")
    reg = read_registry(path)
    assert reg.loc[0, "partnership_id"] == "HEL-01" and reg.loc[0, "region"] == "Helmond"


def test_sheet_lines_hold_partnership_region_and_all_regions(pilot, questionnaire, tmp_path):
    responses = pilot["responses"]
    t = Translator("en", questionnaire)
    pid = "DEN-01"
    ctx = sheet_context(pid, responses, questionnaire, t, MIN, region_names(pilot["registry"], responses), {})
    lines = waves_lines(ctx["series"], ctx["labels"])
    assert set(lines["line"]) == {"own", "region", "all"}
    assert set(lines.loc[lines["line"] == "all", "label"]) == {"All regions"}
    assert set(lines.loc[lines["line"] == "region", "label"]) == {"Region 's-Hertogenbosch"}
    everyone = group_means(responses, ["wave"], MIN).set_index(["wave", "scale"])["mean"]
    shown = lines[lines["line"] == "all"].set_index(["wave", "scale"])["mean"]
    pd.testing.assert_series_equal(shown.sort_index(), everyone.sort_index().astype(float), check_names=False)
    assert len(shown) == 3 * 5


def test_sheet_lines_blank_small_groups(pilot, questionnaire, tmp_path):
    responses = pilot["responses"]
    small = responses[(responses["partnership_id"] == "HEL-03") & (responses["wave"] == 2025)]
    assert 0 < len(small) < MIN
    keep = responses[(responses["partnership_id"] != "HEL-03") | (responses["wave"] == 2025)]
    keep = pd.concat([keep, responses[(responses["partnership_id"] == "HEL-03") & (responses["wave"] < 2025)]])
    ctx = sheet_context("HEL-03", keep, questionnaire, Translator("nl", questionnaire), MIN, {}, {})
    lines = waves_lines(ctx["series"], ctx["labels"])
    own = lines[lines["line"] == "own"]
    assert own.loc[own["wave"] == 2025, "mean"].isna().all() and own.loc[own["wave"] == 2025, "hidden"].all()
    assert own.loc[~own["hidden"], "mean"].notna().all() and (~own["hidden"]).any()


def test_term_labels():
    t = Translator("nl")
    assert term_label(t, "C(wave)[T.2024]", {"wave": "2023"}) == "Meting 2024 (t.o.v. 2023)"
    assert term_label(t, "C(org_type)[T.mbo]", {}) == "org_type mbo"
    assert term_label(t, "Intercept") == "Constante"


def test_seeds_are_found_inside_lists():
    config = {"bootstrap": {"seed": 1}, "models": [{"name": "m_mi", "imputation": {"seed": 2}}, {"name": "x"}]}
    assert find_seeds(config) == {"bootstrap.seed": 1, "models[m_mi].imputation.seed": 2}


def test_survival_axis_has_whole_years_and_says_no_stops(questionnaire):
    F.setup_matplotlib()
    t = Translator("en", questionnaire)
    fig = F.survival_figure(no_stop_survival(), t, MIN)
    ax = fig.axes[0]
    fig.canvas.draw()
    ticks = [x.get_text() for x in ax.get_xticklabels() if x.get_text()]
    assert len(ticks) == len(set(ticks)) and ticks[:3] == ["0", "1", "2"]
    assert any(t("fig.km.no_stops") == x.get_text() for x in ax.texts)
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["Temporary funding ended: no (n = 20)", "Temporary funding ended: yes (n = 6)"]


def test_network_dip_figure_leaves_out_small_ages():
    dip = pd.DataFrame(
        {
            "partnership_age": [0, 1, 2, 3],
            "estimate": [4.0, 3.8, 3.9, 4.1],
            "ci_low": 3.5,
            "ci_high": 4.5,
            "n": [40, 30, 3, 20],
            "suppressed": [False, False, True, False],
        }
    )
    assert F.dip_curve(dip, MIN)["partnership_age"].tolist() == [0, 1, 3]
    assert F.dip_curve(dip.drop(columns=["n", "suppressed"]), MIN)["partnership_age"].tolist() == [0, 1, 2, 3]


@settings(max_examples=40, deadline=None)
@given(
    estimate=st.one_of(st.none(), st.floats(-5, 50)),
    p=st.one_of(st.none(), st.floats(0, 1)),
    ci=st.booleans(),
    lang=st.sampled_from(["nl", "en"]),
    hyp=st.sampled_from(["H1", "H5", "H6", "H7"]),
)
def test_summary_sentence_never_has_holes(pilot, questionnaire, estimate, p, ci, lang, hyp):
    from borgingsmonitor.report.sections.summary import hypothesis_summary

    nan = float("nan")
    row = pd.Series(
        {
            "hypothesis": hyp,
            "test": "x",
            "estimate": nan if estimate is None else estimate,
            "ci_low": (estimate or 0) - 1 if ci else nan,
            "ci_high": (estimate or 0) + 1 if ci else nan,
            "p_value": nan if p is None else p,
            "p_adjusted": nan if p is None else p,
            "supported": "yes",
        }
    )
    inputs = pilot[lang]["inputs"]
    text = hypothesis_summary(Translator(lang, questionnaire), inputs, row)
    assert text.startswith(hyp)
    assert not re.search(r"\s[,.]|\s{2}|\{\w+\}|\bnan\b|\bNone\b|p \.|= \.", text), text
