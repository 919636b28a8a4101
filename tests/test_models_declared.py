"""Models declared in config: checks, dispatch, a model declared only here, the Snakemake fan-out."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from fixtures.models import TRUE_BETA, simulate_clean
from fixtures.report import DIP_CONTRASTS

from borgingsmonitor.models.declared import check_spec, fit_declared, reverse_key
from borgingsmonitor.models.table import MODEL_COLUMNS, read_model_table

ROOT = Path(__file__).resolve().parents[1]
MAIN = {
    "name": "conditions_mixed",
    "formula": "DUR ~ REL + FAC + PRO + ORG + C(wave)",
    "family": "gaussian",
    "grouping": ["region", "partnership_id"],
    "estimator": "statsmodels_mixedlm",
    "method": "REML",
    "standardise": False,
}
# the model the declared hypotheses H1-H4 read (Amendment 1), as the example config declares it
HYBRID = next(
    m
    for m in yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))["models"]
    if m["name"] == "conditions_hybrid"
)
# declared only in this test: a model the default config does not have
TEST_ONLY = {
    **MAIN,
    "name": "relations_only_ml",
    "formula": "DUR ~ REL + C(wave)",
    "method": "ML",
    "estimator": "nested_reml",
}


@pytest.fixture(scope="module")
def data():
    return simulate_clean(seed=41, n_regions=4, partnerships_per_region=6, respondents=8)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"family": "poisson"}, "family"),
        ({"estimator": "ordered_logit"}, "does not fit"),
        ({"formula": "DUR REL"}, "no '~'"),
        ({"grouping": ["region"]}, "grouping"),
    ],
)
def test_check_spec_rejects_bad_declarations(change, message):
    with pytest.raises(ValueError, match=message):
        check_spec({**MAIN, **change})
    with pytest.raises(ValueError, match="missing key"):
        check_spec({k: v for k, v in MAIN.items() if k != "formula"})


def test_model_declared_only_in_test_config_runs(data):
    rows = fit_declared(TEST_ONLY, data)
    assert list(rows.columns) == MODEL_COLUMNS
    assert set(rows["model"]) == {"relations_only_ml"}
    terms = rows.set_index("term")
    assert {"Intercept", "REL", "C(wave)[T.2024]", "icc_region", "design_effect"} <= set(terms.index)
    assert "FAC" not in terms.index
    assert rows["method"].iloc[0].startswith("ML")
    assert terms.loc["REL", "estimate"] > 0


def test_standardised_model_is_the_rescaled_unstandardised_one(data):
    raw = fit_declared(MAIN, data).set_index("term")["estimate"]
    std = fit_declared({**MAIN, "name": "conditions_mixed_std", "standardise": True}, data).set_index("term")
    assert "standardised" in std["method"].iloc[0]
    sd = data.dropna(subset=["DUR", "REL", "FAC", "PRO", "ORG"])[["DUR", *TRUE_BETA]].std()
    for term in TRUE_BETA:
        assert std.loc[term, "estimate"] == pytest.approx(raw[term] * sd[term] / sd["DUR"], rel=1e-3)
    assert std.loc["icc_region", "estimate"] == pytest.approx(
        fit_declared(MAIN, data).set_index("term").loc["icc_region", "estimate"], rel=1e-3
    )


def test_ordinal_declaration_and_reverse_keyed_response(data):
    spec = {
        "name": "ordinal_rel_distant",
        "formula": "rel_distant ~ FAC + C(wave)",
        "family": "ordinal",
        "grouping": ["partnership_id"],
        "estimator": "ordered_logit",
    }
    keyed = fit_declared(spec, data, reverse_items=["rel_distant"]).set_index("term")
    raw = fit_declared(spec, data).set_index("term")
    # reversing the response flips the slopes' signs
    assert keyed.loc["FAC", "estimate"] == pytest.approx(-raw.loc["FAC", "estimate"], rel=1e-3)
    assert reverse_key(data, ["rel_distant"])["rel_distant"].tolist() == (6 - data["rel_distant"]).tolist()


def test_ordinal_mixed_declaration_writes_slopes_cuts_sd_and_loglik(data):
    spec = {
        "name": "ordinal_mixed_dur_continue",
        "formula": "dur_continue ~ REL + FAC + C(wave)",
        "family": "ordinal",
        "grouping": ["partnership_id"],
        "estimator": "ordered_logit_mixed",
    }
    rows = fit_declared(spec, data).set_index("term")
    assert {"REL", "FAC", "C(wave)[T.2024]", "cut_1|2", "sd_partnership", "loglik"} <= set(rows.index)
    assert rows.loc["REL", "p_value"] < 0.05 and np.isnan(rows.loc["sd_partnership", "std_error"])
    assert rows["n_groups"].iloc[0] == data["partnership_id"].nunique()
    assert "random intercept" in rows["method"].iloc[0] and "NOT CONVERGED" not in rows["method"].iloc[0]
    with pytest.raises(ValueError, match="logit link"):
        check_spec({**spec, "distr": "probit"})


def _write_inputs(workdir: Path, data: pd.DataFrame, models: list[dict]):
    (workdir / "results/clean").mkdir(parents=True)
    (workdir / "results/interim/models").mkdir(parents=True)
    (workdir / "results/tables").mkdir(parents=True)
    (workdir / "config").mkdir()
    data.to_parquet(workdir / "results/clean/responses.parquet")
    shutil.copy(ROOT / "config/questionnaire.yaml", workdir / "config/questionnaire.yaml")
    pd.DataFrame(
        {
            "model": ["network_dip"],
            "term": ["lrt_spline_vs_linear"],
            "estimate": [7.5],
            "std_error": [None],
            "ci_low": [None],
            "ci_high": [None],
            "p_value": [0.02],
            "p_adjusted": [None],
            "n_obs": [len(data)],
            "n_groups": [24],
            "method": ["ML; LRT"],
        }
    ).to_csv(workdir / "results/interim/models/network_dip.csv", index=False)
    pd.DataFrame(
        {
            "effect": ["indirect_between"],
            "estimate": [0.1],
            "ci_low": [0.05],
            "ci_high": [0.15],
            "p_value": [0.001],
            "n_boot": [2000],
        }
    ).to_csv(workdir / "results/tables/mediation.csv", index=False)
    pd.DataFrame(
        {
            "model": ["cox_age"],
            "term": ["conditions"],
            "estimate": [-0.5],
            "ci_low": [-0.9],
            "ci_high": [-0.1],
            "p_value": [0.03],
            "n_partnerships": [24],
            "n_events": [5],
        }
    ).to_csv(workdir / "results/tables/survival.csv", index=False)
    DIP_CONTRASTS.to_csv(workdir / "results/tables/network_dip_contrasts.csv", index=False)
    declared = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))["hypotheses"]["declared"]
    config = {
        "models": models,
        "hypotheses": {"alpha": 0.05, "declared": declared},
        "questionnaire": "config/questionnaire.yaml",
    }
    (workdir / "config/config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (workdir / "Snakefile").write_text(
        f'configfile: "config/config.yaml"\ninclude: "{ROOT / "workflow/rules/models.smk"}"\n'
    )


def _snakemake(workdir: Path, *targets):
    exe = Path(sys.executable).with_name("snakemake")
    return subprocess.run(
        [str(exe), "--cores", "1", "--directory", str(workdir), "--snakefile", str(workdir / "Snakefile"), *targets],
        capture_output=True,
        text=True,
        cwd=workdir,
    )


@pytest.mark.slow
def test_workflow_fans_out_over_declared_models(tmp_path, data):
    _write_inputs(tmp_path, data, [MAIN, TEST_ONLY, HYBRID])
    run = _snakemake(tmp_path, "results/tables/models.csv", "results/tables/hypotheses.csv")
    assert run.returncode == 0, run.stderr[-3000:]
    models = read_model_table(tmp_path / "results/tables/models.csv")
    assert sorted(models["model"].unique()) == [
        "conditions_hybrid",
        "conditions_mixed",
        "network_dip",
        "relations_only_ml",
    ]
    assert (tmp_path / "logs/declared_model/relations_only_ml.log").exists()
    assert (tmp_path / "benchmarks/declared_model/relations_only_ml.tsv").exists()
    adjusted = models.dropna(subset=["p_adjusted"])
    assert sorted(adjusted["term"]) == [
        "FAC_between",
        "ORG_between",
        "PRO_between",
        "REL_between",
        "lrt_spline_vs_linear",
    ]
    hyp = pd.read_csv(tmp_path / "results/tables/hypotheses.csv")
    assert hyp["hypothesis"].tolist() == [f"H{i}" for i in range(1, 8)]
    assert hyp["p_adjusted"].notna().all()
    first = (tmp_path / "results/tables/models.csv").read_bytes()
    rerun = _snakemake(tmp_path, "--forceall", "results/tables/models.csv")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert (tmp_path / "results/tables/models.csv").read_bytes() == first
    assert np.isfinite(models.query("model == 'relations_only_ml' and term == 'REL'")["estimate"]).all()


CONFIG_MODELS = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))["models"]


def test_models_in_the_project_config_are_valid_declarations():
    names = [check_spec(spec)["name"] for spec in CONFIG_MODELS]
    assert "conditions_mixed" in names and len(names) == len(set(names))
    assert "network_dip" not in names


@pytest.mark.parametrize("spec", CONFIG_MODELS, ids=[m["name"] for m in CONFIG_MODELS])
def test_a_model_job_reads_only_its_columns_and_gets_the_same_table(spec, data):
    """The declared_model step reads columns_used(...) of the responses: the rows must equal a fit on the whole table."""
    from fixtures.models import add_mar_missing

    from borgingsmonitor.models.declared import columns_used

    with_gaps = add_mar_missing(data, 0.1, np.random.default_rng(3)) if spec.get("imputation") else data
    used = columns_used(spec, list(with_gaps.columns))
    assert len(used) < len(with_gaps.columns) / 2
    reverse = ["rel_distant"]
    pd.testing.assert_frame_equal(fit_declared(spec, with_gaps[used], reverse), fit_declared(spec, with_gaps, reverse))
