"""H6 in the report: "dips and recovers" only when both contrasts say so; the survivor caveat."""

from __future__ import annotations

import pandas as pd
import pytest

from borgingsmonitor.report.document import Builder, ReportInputs
from borgingsmonitor.report.sections.rq5 import dip_claim, section_rq5
from borgingsmonitor.report.translate import Translator


def contrasts(dip=(-0.18, -0.32, -0.05, 0.008), rec=(0.31, 0.15, 0.47, 0.0002)) -> pd.DataFrame:
    rows = []
    for name, (est, low, high, p), ages in (("dip", dip, (0, 2)), ("recovery", rec, (2, 6))):
        rows.append(
            {
                "contrast": name,
                "age_from": ages[0],
                "age_to": ages[1],
                "estimate": est,
                "std_error": 0.07,
                "ci_low": low,
                "ci_high": high,
                "p_value": p,
                "n_partnerships_from": 11,
                "n_partnerships_to": 6,
                "significant": low > 0 or high < 0,
            }
        )
    return pd.DataFrame(rows)


CASES = [
    (contrasts(), "dips_recovers"),
    (contrasts(rec=(0.10, -0.05, 0.25, 0.2)), "dips_only"),
    (contrasts(dip=(-0.05, -0.2, 0.1, 0.5)), "recovers_only"),
    (contrasts(dip=(0.05, -0.1, 0.2, 0.5), rec=(0.10, -0.05, 0.25, 0.2)), "neither"),
]


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("table, key", CASES)
def test_dip_claim_follows_the_contrasts(lang, table, key):
    t = Translator(lang)
    text = dip_claim(t, table)
    claim = {"nl": "dipt en herstelt", "en": "dips and recovers"}[lang]
    assert (claim in text) is (key == "dips_recovers")
    assert text.startswith(t(f"text.network_dip_{key}").split("{")[0])  # the template of this case
    assert t.ci(table["ci_low"][0], table["ci_high"][0]) in text


def test_dip_claim_without_contrasts():
    t = Translator("nl")
    assert dip_claim(t, pd.DataFrame(columns=["contrast"])) == t("text.network_dip_no_contrasts")


def rq5_paragraphs(lang, curve, table):
    terms = ["lrt_spline_vs_linear", "lrt_spline_vs_linear_bootstrap"]
    models = pd.DataFrame(
        {
            "model": ["network_dip"] * 2,
            "term": terms,
            "estimate": [21.24, 21.24],
            "p_value": [2.4e-5, 0.001],
            "p_adjusted": [3.7e-5, None],
            "method": ["LMM ML; LR chi2 df=2", "LMM ML; LR df=2, parametric bootstrap"],
        }
    )
    tables = {"models": models, "network_dip": curve}
    if table is not None:
        tables["network_dip_contrasts"] = table
    b = Builder(Translator(lang))
    section_rq5(b, ReportInputs(pd.DataFrame(), tables, pd.DataFrame(), None, {}, {}, language=lang))
    return [x.text for x in b.blocks if x.kind == "paragraph"]


def test_rq5_states_the_bootstrap_and_the_survivor_caveat():
    curve = pd.DataFrame(
        {
            "partnership_age": [0, 1, 6, 7],
            "estimate": [4.0, 3.8, 4.1, 4.2],
            "n_partnerships": [11, 16, 6, 4],
            "few_partnerships": ["false", "false", "false", "true"],
        }
    )
    paras = rq5_paragraphs("nl", curve, contrasts())
    lr = [p for p in paras if "χ²(2) = 21,24" in p]
    assert len(lr) == 1 and "parametrische bootstrap" in lr[0] and "p = 0,001" in lr[0]
    assert any("dipt en herstelt" in p for p in paras)
    survivors = [p for p in paras if "Leeftijd 7 rust op 4 of minder leerroutes" in p]
    assert len(survivors) == 1


def test_rq5_without_flags_or_contrasts_makes_no_claim():
    curve = pd.DataFrame({"partnership_age": [0, 1], "estimate": [4.0, 3.8]})
    paras = rq5_paragraphs("en", curve, None)
    assert not any("dips and recovers" in p or "learning routes; these ages" in p for p in paras)


def test_figure_marks_the_ages_of_few_partnerships():
    from borgingsmonitor.report import figures as F

    dip = pd.DataFrame(
        {
            "partnership_age": [0, 1, 2, 3],
            "estimate": [4.0, 3.8, 3.9, 4.1],
            "ci_low": 3.5,
            "ci_high": 4.5,
            "n": 50,
            "suppressed": "false",
            "n_partnerships": [9, 9, 6, 3],
            "few_partnerships": ["false", "false", "false", "true"],
        }
    )
    assert F.few_partnership_ages(dip).to_dict() == {3: 3}  # age -> partnerships behind it
    assert F.few_partnership_ages(dip.drop(columns=["few_partnerships"])).empty
    fig = F.network_dip_figure(dip, Translator("nl"))
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert Translator("nl")("fig.network_dip.few") in labels
