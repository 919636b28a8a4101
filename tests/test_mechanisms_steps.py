"""The three mechanism steps end to end through the rule-script helper on synthetic inputs, byte-identical on a rerun."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from fixtures.mechanisms import simulate_registry, simulate_responses

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.mechanisms import steps
from borgingsmonitor.models.table import MODEL_COLUMNS, read_model_table


def run_script(name, tmp, inputs, params, outputs):
    """What scripts/<name>.py does, with plain namespaces in place of Snakemake's named lists."""
    log = tmp / f"{name}.log"
    mock = SimpleNamespace(
        input=SimpleNamespace(**inputs),
        params=SimpleNamespace(**params),
        output=SimpleNamespace(**outputs),
        log=[str(log)],
    )
    run(mock, getattr(steps, name))
    return log


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mech")
    reg = simulate_registry(24, seed=8)
    reg["stopped_year"] = pd.array([2024, None, 2025, None, None, 2024] * 4, dtype="Int64")
    reg["partnership_id"] = reg["partnership_id"] + np.where(np.arange(24) % 5 == 0, " ", "")  # stray spaces
    reg.to_csv(tmp / "partnerships.csv", index=False)
    resp = simulate_responses(8, 24, seed=8, registry=reg.assign(partnership_id=reg["partnership_id"].str.strip()))
    resp.to_parquet(tmp / "responses.parquet")
    return tmp


def _run_all(tmp, out):
    out.mkdir()
    resp = str(tmp / "responses.parquet")
    run_script(
        "mediation",
        out,
        {"responses": resp},
        {"n_boot": 200, "mc_draws": 2000, "seed": 5},
        {"table": str(out / "mediation.csv")},
    )
    run_script(
        "network_dip",
        out,
        {"responses": resp},
        {"spline_df": 3, "min_group_size": 5, "min_partnerships": 5, "n_boot": 19, "seed": 5},
        {
            "curve": str(out / "network_dip.csv"),
            "contrasts": str(out / "network_dip_contrasts.csv"),
            "model": str(out / "network_dip_model.csv"),
        },
    )
    run_script(
        "survival",
        out,
        {"responses": resp, "registry": str(tmp / "partnerships.csv")},
        {"censor_year": None, "min_events_interaction": 3},
        {"table": str(out / "survival.csv")},
    )
    return out


def test_scripts_write_contract_files_identically_twice(inputs):
    first = _run_all(inputs, inputs / "run1")
    second = _run_all(inputs, inputs / "run2")
    names = ["mediation.csv", "network_dip.csv", "network_dip_contrasts.csv", "network_dip_model.csv", "survival.csv"]
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    med = pd.read_csv(first / "mediation.csv")
    assert list(med.columns[:6]) == ["effect", "estimate", "ci_low", "ci_high", "p_value", "n_boot"]
    assert {"indirect", "indirect_between", "indirect_within"} <= set(med["effect"])
    curve = pd.read_csv(first / "network_dip.csv")
    assert list(curve.columns[:4]) == ["partnership_age", "estimate", "ci_low", "ci_high"]
    model = read_model_table(first / "network_dip_model.csv")
    assert list(model.columns) == MODEL_COLUMNS
    surv = pd.read_csv(first / "survival.csv")
    assert list(surv.columns[:8]) == [
        "model",
        "term",
        "estimate",
        "ci_low",
        "ci_high",
        "p_value",
        "n_partnerships",
        "n_events",
    ]
    h7 = surv[(surv["model"] == "discrete_hazard") & (surv["term"] == "conditions")]
    assert len(h7) == 1 and h7["n_events"].iloc[0] > 0
    assert "partnership-years" in (first / "survival.log").read_text()
