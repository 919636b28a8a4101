"""The declared hypotheses: Benjamini-Hochberg per family and the hypotheses table."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from borgingsmonitor.models.hypotheses import (
    ANALYSES,
    HYPOTHESIS_COLUMNS,
    MODEL_TABLE,
    benjamini_hochberg,
    declared,
    fill_model_p_adjusted,
    hypotheses_table,
    id_range,
    source_tables,
)
from borgingsmonitor.models.table import model_rows, wald_terms

ROOT_QUESTIONNAIRE = Path(__file__).parents[1] / "config" / "questionnaire.yaml"
CONFIG = yaml.safe_load((Path(__file__).parents[1] / "config" / "config.yaml").read_text(encoding="utf-8"))
DECLARED = CONFIG["hypotheses"]["declared"]
HYPOTHESES = declared(DECLARED, [m["name"] for m in CONFIG["models"]])


def test_bh_leaves_missing_out_and_missing():
    p = pd.Series([0.01, np.nan, 0.04, 0.03, np.nan, 0.2, 0.001])
    out = benjamini_hochberg(p)
    assert out.isna().tolist() == p.isna().tolist()
    expected = multipletests([0.01, 0.04, 0.03, 0.2, 0.001], method="fdr_bh")[1]
    assert np.allclose(out.dropna().to_numpy(), expected)
    # statsmodels itself would return all-NaN here (issue #2899)
    assert benjamini_hochberg([np.nan, np.nan]).isna().all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(0, 1), st.none()), min_size=1, max_size=10))
def test_bh_properties(values):
    p = pd.Series([np.nan if v is None else v for v in values], dtype=float)
    out = benjamini_hochberg(p)
    present = p.notna()
    assert out[~present].isna().all()
    assert (out[present] >= p[present] - 1e-15).all() and (out[present] <= 1).all()
    # order preserved: a smaller p never gets a larger adjusted p
    order = p[present].sort_values(kind="stable").index
    assert out[order].is_monotonic_increasing


CONDITIONS_MODEL = HYPOTHESES[0].model  # the model H1-H4 read (Amendment 1: the hybrid model)
TERM = {h.term.split("_")[0]: h.term for h in HYPOTHESES[:4]}  # REL -> REL_between


def _models(rel_p=1e-4, fac_est=0.2):
    terms = pd.DataFrame(
        {
            "term": ["Intercept", TERM["REL"], TERM["FAC"], TERM["PRO"], TERM["ORG"], "icc_region"],
            "estimate": [0.3, 0.3, fac_est, -0.1, 0.25, 0.1],
            "std_error": [0.1, 0.05, 0.05, 0.05, 0.05, np.nan],
            "ci_low": [0.1, 0.2, fac_est - 0.1, -0.2, 0.15, np.nan],
            "ci_high": [0.5, 0.4, fac_est + 0.1, 0.0, 0.35, np.nan],
            "p_value": [0.01, rel_p, 0.001, 0.04, 1e-6, np.nan],
        }
    )
    main = model_rows(CONDITIONS_MODEL, terms, 500, 40, "REML")
    dip = model_rows(
        "network_dip",
        pd.DataFrame({"term": ["lrt_spline_vs_linear"], "estimate": [9.2], "p_value": [0.01]}),
        500,
        40,
        "ML",
    )
    std = model_rows(
        "conditions_mixed_std", wald_terms(pd.Series({"REL": 0.3}), pd.Series({"REL": 0.05})), 500, 40, "REML"
    )
    return pd.concat([main, dip, std], ignore_index=True)


def contrasts(dip=(-0.18, 0.008), recovery=(0.31, 0.0002)) -> pd.DataFrame:
    """network_dip_contrasts.csv: (estimate, p) of the dip and the recovery."""
    return pd.DataFrame(
        {"contrast": ["dip", "recovery"], "estimate": [dip[0], recovery[0]], "p_value": [dip[1], recovery[1]]}
    )


def _table(models, mediation, survival, hypotheses=HYPOTHESES, alpha=0.05, dip=None):
    """The hypotheses table from the sources as the workflow lays them out (one file per model)."""
    tables = {MODEL_TABLE.format(name): rows for name, rows in models.groupby("model")}
    tables.update(
        {
            ANALYSES["mediation"].table: mediation,
            ANALYSES["survival"].table: survival,
            ANALYSES["network_dip_contrasts"].table: contrasts() if dip is None else dip,
        }
    )
    return hypotheses_table(hypotheses, tables, alpha)


DIP_ID = next(h.id for h in HYPOTHESES if h.requires)


@pytest.mark.parametrize(
    "dip, supported",
    [
        (contrasts(), "yes"),
        (contrasts(dip=(-0.18, 0.2)), "no"),  # the dip is not significant
        (contrasts(recovery=(-0.31, 0.0002)), "no"),  # significant, but a further fall: no recovery
        (contrasts().iloc[:1], "no"),  # no recovery contrast at all
    ],
)
def test_the_dip_hypothesis_needs_its_contrasts_besides_the_lr_test(dip, supported):
    table = _table(_models(), MEDIATION, SURVIVAL, dip=dip).set_index("hypothesis")
    assert table.loc[DIP_ID, "p_adjusted"] < 0.05  # the LR test alone would say yes
    assert table.loc[DIP_ID, "supported"] == supported
    assert ANALYSES["network_dip_contrasts"].table in source_tables(HYPOTHESES)


def test_a_requirement_on_an_unknown_analysis_is_refused():
    entry = {**DECLARED[0], "requires": [{"analysis": "nope", "term": "dip", "expected_sign": "negative"}]}
    with pytest.raises(ValueError, match="requires an unknown analysis 'nope'"):
        declared([entry])


MEDIATION = pd.DataFrame(
    {
        "effect": ["a", "b", "direct", "indirect", "total", "indirect_within", "indirect_between"],
        "estimate": [0.5, 0.3, 0.1, 0.12, 0.25, 0.01, 0.15],
        "ci_low": [0.4, 0.2, 0.0, 0.05, 0.1, -0.01, 0.08],
        "ci_high": [0.6, 0.4, 0.2, 0.2, 0.4, 0.03, 0.22],
        "p_value": [0.001, 0.001, 0.05, 0.004, 0.001, 0.3, 0.002],
        "n_boot": 2000,
    }
)
SURVIVAL = pd.DataFrame(
    {
        "model": ["cox_age", "cox_age", "kaplan_meier"],
        "term": ["conditions", "funding_ended", "median"],
        "estimate": [-0.8, 1.1, 6.0],
        "ci_low": [-1.4, 0.3, np.nan],
        "ci_high": [-0.2, 1.9, np.nan],
        "p_value": [0.008, 0.01, np.nan],
        "n_partnerships": 40,
        "n_events": 9,
    }
)


def test_hypotheses_table_values_and_support():
    table = _table(_models(), MEDIATION, SURVIVAL).set_index("hypothesis")
    assert list(table.reset_index().columns) == HYPOTHESIS_COLUMNS
    assert table.index.tolist() == [f"H{i}" for i in range(1, 8)]
    assert table.loc["H1", "estimate"] == 0.3 and table.loc["H5", "estimate"] == 0.15
    assert table.loc["H6", "estimate"] == 9.2 and table.loc["H7", "estimate"] == -0.8
    raw = [1e-4, 0.001, 0.04, 1e-6, 0.002, 0.01, 0.008]
    assert np.allclose(table["p_adjusted"], multipletests(raw, method="fdr_bh")[1])
    # H3 has the wrong sign: not supported whatever its p-value
    assert table["supported"].tolist() == ["yes", "yes", "no", "yes", "yes", "yes", "yes"]


def test_negative_h7_needed_and_missing_source_is_not_poison():
    survival = SURVIVAL.assign(estimate=[0.8, 1.1, 6.0])
    table = _table(_models(), MEDIATION.iloc[:3], survival).set_index("hypothesis")
    assert np.isnan(table.loc["H5", "p_value"]) and np.isnan(table.loc["H5", "p_adjusted"])
    assert "not available" in table.loc["H5", "test"]
    assert table.loc["H5", "supported"] == "not_testable" and table.loc["H7", "supported"] == "no"
    assert table["p_adjusted"].notna().sum() == 6
    assert np.allclose(
        table["p_adjusted"].dropna(), multipletests([1e-4, 0.001, 0.04, 1e-6, 0.01, 0.008], method="fdr_bh")[1]
    )


def test_p_adjusted_only_on_hypothesis_rows():
    models = _models()
    table = _table(models, MEDIATION, SURVIVAL)
    filled = fill_model_p_adjusted(models, table, HYPOTHESES)
    marked = filled[filled["p_adjusted"].notna()]
    assert sorted(zip(marked["model"], marked["term"])) == sorted(
        [(CONDITIONS_MODEL, TERM[t]) for t in ("REL", "FAC", "PRO", "ORG")] + [("network_dip", "lrt_spline_vs_linear")]
    )
    h1 = table.set_index("hypothesis").loc["H1", "p_adjusted"]
    assert filled.query("model == @CONDITIONS_MODEL and term == @TERM['REL']")["p_adjusted"].iloc[0] == h1
    assert filled.query("model == 'conditions_mixed_std'")["p_adjusted"].isna().all()


def test_not_estimable_source_says_why():
    survival = SURVIVAL.assign(
        estimate=np.nan,
        ci_low=np.nan,
        ci_high=np.nan,
        p_value=np.nan,
        note="not estimable: no stops in 47 partnership-years",
    )
    table = _table(_models(), MEDIATION, survival).set_index("hypothesis")
    assert table.loc["H7", "test"].endswith("(no p-value: not estimable: no stops in 47 partnership-years)")
    assert table.loc["H7", "supported"] == "not_testable"
    assert table["p_adjusted"].notna().sum() == 6


def test_a_new_hypothesis_on_a_declared_model_is_one_entry():
    """H8 on the standardised model's REL: a row of its own, read from that model's table."""
    h8 = dict(DECLARED[0], id="H8", model="conditions_mixed_std", term="REL", family="exploratory")
    hypotheses = declared([*DECLARED, h8], [m["name"] for m in CONFIG["models"]])
    table = _table(_models(), MEDIATION, SURVIVAL, hypotheses).set_index("hypothesis")
    assert table.index.tolist()[-1] == "H8" and table.loc["H8", "estimate"] == 0.3
    assert "(not available)" not in table.loc["H8", "test"]
    # its own family: adjusted alone, the confirmatory seven as before
    assert table.loc["H8", "p_adjusted"] == pytest.approx(table.loc["H8", "p_value"])
    confirmatory = _table(_models(), MEDIATION, SURVIVAL).set_index("hypothesis")["p_adjusted"]
    assert np.allclose(table["p_adjusted"].drop("H8"), confirmatory)


def test_bh_is_per_family():
    two = [dict(h, family="a" if i < 4 else "b") for i, h in enumerate(DECLARED)]
    table = _table(_models(), MEDIATION, SURVIVAL, declared(two))
    raw = table["p_value"].to_numpy()
    expected = np.r_[multipletests(raw[:4], method="fdr_bh")[1], multipletests(raw[4:], method="fdr_bh")[1]]
    assert np.allclose(table["p_adjusted"], expected)


@pytest.mark.parametrize(
    "change, words",
    [
        ({"model": "no_such_model"}, ["H1", "no_such_model"]),
        ({"analysis": "mediation"}, ["H1", "either"]),
        ({"id": "H2"}, ["H2", "more than once"]),
    ],
)
def test_a_wrong_declaration_names_the_hypothesis(change, words):
    entries = [dict(DECLARED[0], **change), *DECLARED[1:]]
    with pytest.raises(ValueError) as err:
        declared(entries, [m["name"] for m in CONFIG["models"]])
    assert all(w in str(err.value) for w in words)


def test_unknown_analysis_is_refused():
    entry = {k: v for k, v in DECLARED[4].items() if k != "analysis"} | {"analysis": "ghost"}
    with pytest.raises(ValueError, match="ghost"):
        declared([entry])


@pytest.mark.parametrize(
    "ids, text",
    [(["H1", "H2", "H3", "H4"], "H1–H4"), (["H5"], "H5"), (["H1", "H3"], "H1, H3"), (["H9", "H10"], "H9–H10")],
)
def test_id_range(ids, text):
    assert id_range(ids) == text


@pytest.mark.slow
def test_h8_is_a_config_entry_through_the_workflow_and_the_report(tmp_path):
    """H8 on a model only the temporary config declares: its row in hypotheses.csv comes from that
    model's own output (not '(not available)'), models.csv marks its term, and the report lists it."""
    from fixtures.models import simulate_clean
    from fixtures.report import build_registry, build_responses, build_tables
    from test_models_declared import MAIN, TEST_ONLY, _snakemake, _write_inputs

    from borgingsmonitor.core.questionnaire import load_questionnaire
    from borgingsmonitor.models.table import read_model_table
    from borgingsmonitor.report.content import build_report
    from borgingsmonitor.report.document import ReportInputs

    _write_inputs(
        tmp_path,
        simulate_clean(seed=41, n_regions=4, partnerships_per_region=6, respondents=8),
        [MAIN, TEST_ONLY, *[m for m in CONFIG["models"] if m["name"] == HYPOTHESES[0].model]],
    )
    config = yaml.safe_load((tmp_path / "config/config.yaml").read_text(encoding="utf-8"))
    statement = {"nl": "Relaties alleen voorspellen duurzaamheid.", "en": "Relations alone predict durability."}
    h8 = dict(
        DECLARED[0],
        id="H8",
        model="relations_only_ml",
        term="REL",
        family="exploratory",
        statement=statement,
        description="relations_only_ml: REL, Wald z",
    )
    config["hypotheses"]["declared"].append(h8)
    (tmp_path / "config/config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    run = _snakemake(tmp_path, "results/tables/models.csv", "results/tables/hypotheses.csv")
    assert run.returncode == 0, run.stderr[-3000:]
    hyp = pd.read_csv(tmp_path / "results/tables/hypotheses.csv").set_index("hypothesis")
    assert hyp.index.tolist() == [h["id"] for h in DECLARED] + ["H8"]
    assert hyp.loc["H8", "test"] == "relations_only_ml: REL, Wald z"
    assert np.isfinite(hyp.loc["H8", "estimate"]) and hyp.loc["H8", "p_adjusted"] == hyp.loc["H8", "p_value"]
    models = read_model_table(tmp_path / "results/tables/models.csv")
    marked = models.query("model == 'relations_only_ml' and term == 'REL'")["p_adjusted"]
    assert marked.iloc[0] == pytest.approx(hyp.loc["H8", "p_adjusted"])

    questionnaire = load_questionnaire(ROOT_QUESTIONNAIRE)
    rng = np.random.default_rng(3)
    registry = build_registry(rng)
    responses = build_responses(rng, registry, questionnaire)
    tables = {k.split("/")[-1].removesuffix(".csv"): v for k, v in build_tables(rng, responses).items()}
    tables.update(hypotheses=hyp.reset_index(), models=models)
    for lang in ("nl", "en"):
        inputs = ReportInputs(
            responses,
            tables,
            registry,
            questionnaire,
            {},
            {},
            language=lang,
            hypotheses=declared(config["hypotheses"]["declared"]),
        )
        doc = build_report(inputs)
        summary = [item for b in doc.blocks if b.kind == "bullets" for item in b.items]
        assert any(item.startswith("H8") and statement[lang] in item for item in summary)
        rows = [r[0].text for b in doc.blocks if b.kind == "table" for r in b.rows]
        assert f"H8. {statement[lang]}" in rows


def test_the_hypotheses_caption_lists_every_declared_hypothesis():
    """`snakemake --report` renders the caption with Jinja over the config: no id is written in it."""
    from types import SimpleNamespace

    import jinja2

    text = (Path(__file__).parents[1] / "workflow" / "report" / "hypotheses.rst").read_text(encoding="utf-8")
    extra = dict(DECLARED[0], id="H8", description="a test declared only here")
    config = {"hypotheses": {"alpha": 0.01, "declared": [*DECLARED, extra]}, "report": {"language": "en"}}
    rendered = jinja2.Template(text).render(snakemake=SimpleNamespace(config=config))
    for h in config["hypotheses"]["declared"]:
        assert f"- {h['id']} (" in rendered and h["description"] in rendered
    assert "0.01" in rendered and "H1" not in text
