"""Claims from statistics: each conclusion sentence is made only when the statistic behind it says so.

Every claim is tested on data where it must be made and on data where it must not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fixtures.report import HYPOTHESES

from borgingsmonitor.core.contracts import NOT_CONVERGED
from borgingsmonitor.models.table import difference_term
from borgingsmonitor.report import claims as C
from borgingsmonitor.report.document import Builder, ReportInputs
from borgingsmonitor.report.sections.hypotheses import section_hypotheses
from borgingsmonitor.report.sections.rq3 import section_rq3
from borgingsmonitor.report.translate import Translator

CONDITION_HS = C.condition_hypotheses(HYPOTHESES)
MODEL = CONDITION_HS[0].model


def hypotheses_csv(verdicts: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "hypothesis": h.id,
                "test": h.description,
                "estimate": 0.2,
                "ci_low": 0.1,
                "ci_high": 0.3,
                "p_value": 0.01,
                "p_adjusted": 0.02,
                "supported": verdicts.get(h.id, "no"),
            }
            for h in HYPOTHESES
        ]
    )


def models_csv(
    hybrid: dict[str, tuple[float, float]],
    pooled: dict[str, tuple[float, float]],
    ordinal: dict[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """(estimate, p) per condition: the hybrid's between terms, the registered pooled model, an ordinal one."""
    rows = []
    for model, values, suffix in (
        (MODEL, hybrid, C.BETWEEN),
        ("conditions_mixed", pooled, ""),
        ("ordinal_dur_continue", ordinal or pooled, ""),
    ):
        for cond, (est, p) in values.items():
            rows.append(
                {
                    "model": model,
                    "term": cond + suffix,
                    "estimate": est,
                    "std_error": 0.05,
                    "ci_low": est - 0.1,
                    "ci_high": est + 0.1,
                    "p_value": p,
                    "p_adjusted": np.nan,
                    "n_obs": 500,
                    "n_groups": 20,
                    "method": "REML; region fixed, C(region) (4 regions < 10)",
                    "df": 17.0,
                }
            )
        if model == MODEL:
            rows += [
                {
                    "model": model,
                    "term": cond + C.WITHIN,
                    "estimate": est,
                    "std_error": 0.02,
                    "ci_low": est - 0.04,
                    "ci_high": est + 0.04,
                    "p_value": 0.001,
                    "n_obs": 500,
                    "n_groups": 20,
                    "method": rows[0]["method"],
                    "df": 480.0,
                }
                for cond, (est, _) in values.items()
            ]
    # the network-dip model carries none of the conditions' terms as a sensitivity analysis
    rows.append(
        {
            "model": "network_dip",
            "term": "REL",
            "estimate": -1.0,
            "p_value": 0.9,
            "n_obs": 500,
            "n_groups": 20,
            "method": "LMM ML",
        }
    )
    return pd.DataFrame(rows)


SAME = {"REL": (0.4, 0.001), "FAC": (0.2, 0.01), "PRO": (0.05, 0.6), "ORG": (0.2, 0.02)}


def test_supported_follows_hypotheses_csv_only():
    claims = C.claims_table(HYPOTHESES, {"hypotheses": hypotheses_csv({"H1": "yes", "H7": "not_testable"})})
    assert C.holds(claims, "H1:supported")
    assert not C.holds(claims, "H2:supported") and not C.holds(claims, "H7:supported")
    assert not C.holds(claims, "H99:supported")  # a claim not in the table is never made
    assert list(claims.columns) == C.CLAIM_COLUMNS


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_hypotheses_table_says_supported_only_where_the_claim_holds(lang):
    t = Translator(lang)
    tables = {"hypotheses": hypotheses_csv({"H1": "yes"})}
    b = Builder(t)
    section_hypotheses(
        b, ReportInputs(pd.DataFrame(), tables, pd.DataFrame(), None, {}, {}, language=lang, hypotheses=HYPOTHESES)
    )
    verdicts = [row[-1].text for row in b.blocks[-1].rows]
    assert verdicts[0] == t("table.yes") and set(verdicts[1:]) == {t("table.no")}


def test_same_across_models_holds_when_every_model_agrees():
    claims = C.claims_table(HYPOTHESES, {"models": models_csv(SAME, SAME)})
    assert all(C.holds(claims, f"{h.id}:same_across_models") for h in CONDITION_HS)
    assert C.holds(claims, "models:same_across_models")
    assert C.differing(claims) == []


def test_same_across_models_fails_on_significance_or_sign():
    pooled = {**SAME, "PRO": (0.09, 0.001)}  # significant where the hybrid is not
    ordinal = {**SAME, "ORG": (-0.2, 0.02)}  # the opposite sign
    claims = C.claims_table(HYPOTHESES, {"models": models_csv(SAME, pooled, ordinal)})
    pro, org = (h.id for h in CONDITION_HS if C.pooled_term(h.term) in ("PRO", "ORG"))
    assert not C.holds(claims, f"{pro}:same_across_models") and not C.holds(claims, f"{org}:same_across_models")
    assert not C.holds(claims, "models:same_across_models")
    assert C.differing(claims) == [pro, org]
    row = claims.set_index("claim").loc[f"{pro}:same_across_models"]
    assert "conditions_mixed: positive" in row["value"] and f"{MODEL}: not significant" in row["value"]


def test_same_across_models_needs_another_model():
    alone = models_csv(SAME, SAME)
    alone = alone[alone["model"] == MODEL]
    claims = C.claims_table(HYPOTHESES, {"models": alone})
    assert not claims["claim"].str.endswith("same_across_models").any()


def rq3_paragraphs(models: pd.DataFrame, lang: str = "en") -> list[str]:
    responses = pd.DataFrame({"wave": [2023, 2024], "region": ["a", "b"]})
    b = Builder(Translator(lang))
    inputs = ReportInputs(
        responses, {"models": models}, pd.DataFrame(), None, {}, {}, language=lang, hypotheses=HYPOTHESES
    )
    section_rq3(b, inputs)
    return [x.text for x in b.blocks if x.kind == "paragraph"]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_rq3_says_does_not_depend_on_the_model_only_when_it_is_true(lang):
    t = Translator(lang)
    same = t("text.rq3_sensitivity_same", alpha=t.num(0.05))
    assert any(same in p for p in rq3_paragraphs(models_csv(SAME, SAME), lang))
    differs = rq3_paragraphs(models_csv(SAME, {**SAME, "PRO": (0.09, 0.001)}), lang)
    assert not any(same in p for p in differs)
    pro = next(h.id for h in CONDITION_HS if C.pooled_term(h.term) == "PRO")
    assert any(f"{pro} (PRO)" in p for p in differs)


def contrasts(dip_high: float, rec_low: float) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "contrast": "dip",
                "age_from": 0,
                "age_to": 2,
                "estimate": dip_high - 0.1,
                "ci_low": dip_high - 0.2,
                "ci_high": dip_high,
                "p_value": 0.01,
                "significant": dip_high < 0,
            },
            {
                "contrast": "recovery",
                "age_from": 2,
                "age_to": 6,
                "estimate": rec_low + 0.1,
                "ci_low": rec_low,
                "ci_high": rec_low + 0.2,
                "p_value": 0.01,
                "significant": rec_low > 0,
            },
        ]
    )


@pytest.mark.parametrize(
    "dip_high, rec_low, dips, recovers",
    [(-0.02, 0.05, True, True), (-0.02, -0.05, True, False), (0.03, 0.05, False, True), (0.03, -0.05, False, False)],
)
def test_dips_and_recovers_needs_both_contrasts(dip_high, rec_low, dips, recovers):
    claims = C.claims_table(HYPOTHESES, {"network_dip_contrasts": contrasts(dip_high, rec_low)})
    assert C.holds(claims, "network_dip:dip") is dips and C.holds(claims, "network_dip:recovery") is recovers
    assert C.holds(claims, "network_dip:dips_and_recovers") is (dips and recovers)


def test_no_contrasts_no_dip_claim():
    claims = C.claims_table(HYPOTHESES, {"network_dip_contrasts": pd.DataFrame(columns=["contrast"])})
    assert not C.holds(claims, "network_dip:dips_and_recovers")


def survival(estimate, p) -> pd.DataFrame:
    from borgingsmonitor.mechanisms.survival import INTERACTION_MODEL, INTERACTION_TERM

    return pd.DataFrame(
        [
            {
                "model": INTERACTION_MODEL,
                "term": INTERACTION_TERM,
                "estimate": estimate,
                "ci_low": np.nan,
                "ci_high": np.nan,
                "p_value": p,
                "note": "",
            }
        ]
    )


@pytest.mark.parametrize(
    "estimate, p, status",
    [
        (-0.8, 0.01, "supported"),
        (-0.8, 0.3, "not_supported"),
        (0.8, 0.01, "not_supported"),
        (np.nan, np.nan, "not_fitted"),
    ],
)
def test_above_all_after_funding_only_from_a_fitted_negative_significant_interaction(estimate, p, status):
    claims = C.claims_table(HYPOTHESES, {"survival": survival(estimate, p)})
    assert C.holds(claims, "survival:after_funding") is (status == "supported")
    assert C.funding_status(claims) == status
    reader = claims.set_index("claim").loc["survival:after_funding", "hypothesis"]
    assert reader in {h.id for h in HYPOTHESES}


@pytest.mark.parametrize("low, shown", [(0.01, True), (-0.01, False)])
def test_indirect_effect_shown_only_when_its_interval_is_above_zero(low, shown):
    med = pd.DataFrame(
        {
            "effect": ["indirect_between", "indirect_within"],
            "estimate": [0.1, 0.01],
            "ci_low": [low, -0.02],
            "ci_high": [0.3, 0.03],
        }
    )
    claims = C.claims_table(HYPOTHESES, {"mediation": med})
    assert C.holds(claims, "mediation:indirect_between") is shown
    assert not C.holds(claims, "mediation:indirect_within")


def with_ordinal_mixed(models: pd.DataFrame, values: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """models.csv plus an ordered_logit_mixed model's rows: slopes, a cut point, sd_partnership, loglik."""
    rows = [{"term": cond, "estimate": est, "std_error": 0.08, "p_value": p} for cond, (est, p) in values.items()]
    rows += [
        {"term": "cut_1|2", "estimate": 2.1, "std_error": 0.7, "p_value": np.nan},
        {"term": "sd_partnership", "estimate": 0.6, "std_error": np.nan, "p_value": np.nan},
        {"term": "loglik", "estimate": -1433.3, "std_error": np.nan, "p_value": np.nan},
    ]
    extra = pd.DataFrame(rows).assign(
        model="ordinal_mixed_dur_continue",
        ci_low=lambda d: d["estimate"] - 1.96 * d["std_error"],
        ci_high=lambda d: d["estimate"] + 1.96 * d["std_error"],
        n_obs=500,
        n_groups=20,
        method="ML; cumulative logit with a partnership random intercept (as ordinal::clmm), Laplace",
    )
    return pd.concat([models, extra], ignore_index=True)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_random_intercept_ordinal_model_alone_makes_a_conclusion_depend_on_the_model(lang):
    """Every other model finds PRO not significant; the random-intercept ordinal model alone finds it
    positive (the example's H3): the claim fails and the report names H3, not 'does not depend'."""
    t = Translator(lang)
    same = t("text.rq3_sensitivity_same", alpha=t.num(0.05))
    pro = next(h.id for h in CONDITION_HS if C.pooled_term(h.term) == "PRO")
    agreeing = with_ordinal_mixed(models_csv(SAME, SAME), SAME)
    assert C.holds(C.claims_table(HYPOTHESES, {"models": agreeing}), f"{pro}:same_across_models")
    assert any(same in p for p in rq3_paragraphs(agreeing, lang))
    differing = with_ordinal_mixed(models_csv(SAME, SAME), {**SAME, "PRO": (0.2, 0.004)})
    claims = C.claims_table(HYPOTHESES, {"models": differing})
    assert not C.holds(claims, f"{pro}:same_across_models") and C.differing(claims) == [pro]
    assert "ordinal_mixed_dur_continue: positive" in claims.set_index("claim").loc[f"{pro}:same_across_models", "value"]
    paragraphs = rq3_paragraphs(differing, lang)
    assert not any(same in p for p in paragraphs) and any(f"{pro} (PRO)" in p for p in paragraphs)


def test_a_fit_that_did_not_converge_never_makes_a_conclusion_depend_on_the_model():
    """The same differing PRO estimate, but from a fit marked NOT CONVERGED: it is listed as not
    estimated and the claim holds on the models that were estimated."""
    pro = next(h.id for h in CONDITION_HS if C.pooled_term(h.term) == "PRO")
    failed = with_ordinal_mixed(models_csv(SAME, SAME), {**SAME, "PRO": (0.2, 0.004)})
    mixed = failed["model"] == "ordinal_mixed_dur_continue"
    failed.loc[mixed, "method"] += f"; {NOT_CONVERGED}: the gradient did not vanish"
    claims = C.claims_table(HYPOTHESES, {"models": failed}).set_index("claim")
    assert claims.loc[f"{pro}:same_across_models", "holds"]
    assert "ordinal_mixed_dur_continue: not estimated" in claims.loc[f"{pro}:same_across_models", "value"]
    assert C.conclusion(failed[mixed].iloc[0], 0.05) is None


def with_differences(models: pd.DataFrame, differences: dict[tuple[str, str], tuple[float, float]]) -> pd.DataFrame:
    """The hybrid model's difference rows: (a, b) -> (estimate of a - b, CI half-width)."""
    rows = [
        {
            "model": MODEL,
            "term": difference_term(a + C.BETWEEN, b + C.BETWEEN),
            "estimate": est,
            "std_error": half / 2,
            "ci_low": est - half,
            "ci_high": est + half,
            "p_value": 0.01,
            "df": 20.0,
        }
        for (a, b), (est, half) in differences.items()
    ]
    return pd.concat([models, pd.DataFrame(rows)], ignore_index=True)


# models_csv gives every between term the interval estimate +- 0.1
HYBRID = {"REL": (0.4, 0.001), "FAC": (0.2, 0.01), "PRO": (0.05, 0.6), "ORG": (0.25, 0.02)}
LOW = {"REL": (0.08, 0.3), "FAC": (-0.2, 0.01), "PRO": (-0.3, 0.01), "ORG": (-0.05, 0.6)}
# REL - FAC is written the other way round (FAC - REL), as a model may write it
CLEAR = {("FAC", "REL"): (-0.2, 0.1), ("REL", "PRO"): (0.35, 0.1), ("REL", "ORG"): (0.15, 0.13)}


def strongest_inputs(hybrid: dict, differences: dict | None, lang: str = "en") -> ReportInputs:
    models = models_csv(hybrid, {**hybrid, "PRO": (0.9, 0.001)})  # the pooled model's largest is PRO
    models = with_differences(models, differences) if differences is not None else models
    return ReportInputs(
        pd.DataFrame(), {"models": models}, pd.DataFrame(), None, {}, {}, language=lang, hypotheses=HYPOTHESES
    )


@pytest.mark.parametrize(
    "hybrid, differences, strongest",
    [
        (HYBRID, CLEAR, True),  # REL's and ORG's intervals overlap, their difference's does not include 0
        (HYBRID, {**CLEAR, ("REL", "ORG"): (0.15, 0.17)}, False),  # one difference includes 0
        (LOW, CLEAR, False),  # the largest itself includes 0
    ],
)
def test_strongest_between_only_when_it_and_each_difference_lie_above_zero(hybrid, differences, strongest):
    claims = C.claims_table(HYPOTHESES, {"models": strongest_inputs(hybrid, differences).tables["models"]})
    assert C.holds(claims, C.STRONGEST) is strongest
    value = claims.set_index("claim").loc[C.STRONGEST, "value"]
    assert value.startswith(f"REL{C.BETWEEN} ")  # the hybrid's between terms, not the pooled model's PRO
    assert f"minus FAC{C.BETWEEN} 0.2 [0.1; 0.3]" in value  # the reversed row, turned round


def test_strongest_between_needs_the_differences_and_two_terms():
    no_differences = strongest_inputs(HYBRID, None).tables["models"]
    assert C.STRONGEST not in set(C.claims_table(HYPOTHESES, {"models": no_differences})["claim"])
    one = models_csv({"REL": (0.5, 0.001)}, {"REL": (0.5, 0.001)})
    assert C.STRONGEST not in set(C.claims_table(HYPOTHESES, {"models": one})["claim"])


def sentence(t: Translator, key: str, hybrid: dict, gap: tuple[float, float]) -> str:
    """The summary sentence for REL (largest) and ORG (next) of `hybrid`, REL - ORG = gap."""
    (est, _), (est_next, _) = hybrid["REL"], hybrid["ORG"]
    return t(
        key,
        scale=t.scale("REL"),
        estimate=t.num(est),
        ci=t.ci(est - 0.1, est + 0.1),
        next=t.scale("ORG"),
        next_estimate=t.num(est_next),
        next_ci=t.ci(est_next - 0.1, est_next + 0.1),
        difference=t.num(gap[0], 3),
        difference_ci=t.ci(gap[0] - gap[1], gap[0] + gap[1], 3),
    )


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_summary_says_most_strongly_related_only_where_the_claim_holds(lang):
    from borgingsmonitor.report.sections.summary import strongest_sentence

    t = Translator(lang)
    unclear = {**CLEAR, ("REL", "ORG"): (0.15, 0.17)}
    said = strongest_sentence(t, strongest_inputs(HYBRID, CLEAR, lang))
    assert said == sentence(t, "summary.strongest", HYBRID, (0.15, 0.13))
    said = strongest_sentence(t, strongest_inputs(HYBRID, unclear, lang))
    assert said == sentence(t, "summary.strongest_not_shown", HYBRID, (0.15, 0.17))
    assert strongest_sentence(t, strongest_inputs(HYBRID, None, lang)) == ""
