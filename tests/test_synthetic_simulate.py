"""The simulated clean data set and registry: shape, coherence, determinism, recoverable truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borgingsmonitor.clean.rules import clean_columns
from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.models import nested_lmm as nl
from borgingsmonitor.synthetic.simulate import simulate_clean, simulate_registry

QUESTIONNAIRE = load_questionnaire(Path(__file__).parents[1] / "config" / "questionnaire.yaml")
ITEM_CODES = QUESTIONNAIRE.item_codes
CLEAN_COLUMNS = clean_columns(QUESTIONNAIRE)  # what the cleaning step writes
REGISTRY_COLUMNS = [
    "partnership_id", "region", "name", "sector", "vmbo_school", "mbo_institution",
    "start_year", "funding_end_year", "stopped_year",
]  # fmt: skip


@pytest.fixture(scope="module")
def sim():
    return simulate_clean(6000, n_regions=8, n_partnerships=40, seed=3)


def scale_scores(df: pd.DataFrame) -> pd.DataFrame:
    """Independent recomputation from the questionnaire: reverse-key, mean if >= 2/3 answered."""
    out = {}
    for scale, codes in QUESTIONNAIRE.scales.items():
        items = df[codes].astype("Float64")
        for code in codes:
            if code in QUESTIONNAIRE.reverse_items:
                items[code] = 6 - items[code]
        answered = items.notna().sum(axis=1)
        out[scale] = items.mean(axis=1).where(answered * 3 >= 2 * len(codes)).astype(float)
    return pd.DataFrame(out)


def test_columns_and_types(sim):
    df, truth = sim
    assert list(df.columns) == CLEAN_COLUMNS
    assert len(df) == 6000
    for code in ITEM_CODES:
        assert df[code].dtype == "Int64"
        assert df[code].dropna().between(1, 5).all()
    assert df["partnership_age"].dtype == "Int64"
    assert df["wave"].dtype == np.int64
    assert set(df["wave"]) <= set(range(2019, 2026))
    assert set(df["role"]) <= set(QUESTIONNAIRE.questions["role"].options_nl)
    assert set(df["org_type"]) <= set(QUESTIONNAIRE.questions["org_type"].options_nl)
    assert set(df["phase"]) <= set(QUESTIONNAIRE.questions["phase"].options_nl)
    assert df["fac_hours"].dropna().between(0, 40).all()
    assert df["years_involved"].dropna().between(0, 30).all()
    assert df["region"].str.fullmatch(r"regio-\d+").all()
    assert all(isinstance(k, str) and len(k) == 16 for k in df["respondent_key"])
    assert set(truth["effects"]) == {"REL", "FAC", "PRO", "ORG"}
    assert set(truth["sigma2"]) == {"region", "partnership", "residual"}


def test_scale_scores_are_the_items_after_reverse_keying(sim):
    df, _ = sim
    expected = scale_scores(df)
    for scale in expected:
        pd.testing.assert_series_equal(df[scale], expected[scale], check_names=False, rtol=1e-12)
    assert df["DUR"].notna().mean() > 0.95
    # the reverse item runs against its scale
    assert np.corrcoef(df["rel_distant"].astype(float).fillna(3), df["REL"].fillna(3))[0, 1] < -0.3
    assert np.corrcoef(df["rel_trust"].astype(float).fillna(3), df["REL"].fillna(3))[0, 1] > 0.3


def test_same_seed_same_data_and_other_seed_other_data():
    a, ta = simulate_clean(500, n_regions=4, n_partnerships=12, seed=9)
    b, tb = simulate_clean(500, n_regions=4, n_partnerships=12, seed=9)
    c, _ = simulate_clean(500, n_regions=4, n_partnerships=12, seed=10)
    pd.testing.assert_frame_equal(a, b)
    assert ta == tb
    assert not a["DUR"].equals(c["DUR"])


def test_registry_matches_clean_data(sim):
    df, _ = sim
    reg = simulate_registry(n_regions=8, n_partnerships=40, seed=3)
    assert list(reg.columns) == REGISTRY_COLUMNS
    assert reg["partnership_id"].is_unique and len(reg) == 40
    assert (reg["funding_end_year"] > reg["start_year"]).all()
    stopped = reg["stopped_year"].dropna()
    assert (stopped > reg.loc[stopped.index, "start_year"]).all()
    merged = df.merge(reg, on="partnership_id", how="left", validate="many_to_one", suffixes=("", "_reg"))
    assert merged["start_year"].notna().all()
    assert (merged["partnership_age"] == merged["wave"] - merged["start_year"]).all()
    assert (merged["partnership_age"] >= 0).all()
    running = merged["stopped_year"].isna() | (merged["wave"] <= merged["stopped_year"])
    assert running.all()
    slug = merged["region_reg"].str.lower().str.replace(" ", "-")
    assert (slug == merged["region"]).all()


def test_panel_keys_and_source_rows(sim):
    df, _ = sim
    assert not df.duplicated(["wave", "respondent_key"]).any()
    assert df.groupby("respondent_key")["wave"].nunique().max() > 1  # some answer in several waves
    assert df.groupby("respondent_key")["partnership_id"].nunique().max() == 1
    for (region, wave), g in df.groupby(["region", "wave"]):
        assert (g["source_file"] == f"{region}/{wave}/export.csv").all()
        assert list(g["source_row"]) == list(range(len(g)))


@settings(max_examples=10, deadline=None, derandomize=True)
@given(n=st.integers(1, 60), n_regions=st.integers(1, 4), extra=st.integers(0, 6), seed=st.integers(0, 1000))
def test_small_sizes_keep_the_shape(n, n_regions, extra, seed):
    df, _ = simulate_clean(
        n, n_regions=n_regions, n_partnerships=n_regions + extra, seed=seed, waves=(2023, 2024, 2025)
    )
    assert len(df) == n
    assert list(df.columns) == CLEAN_COLUMNS
    assert df["region"].nunique() <= n_regions


def test_truth_is_recovered_with_latent_durability():
    df, truth = simulate_clean(60_000, seed=4, dur_from_items=False, wave_effects={2024: 0.1})
    res = nl.fit_nested_lmm(truth["formula"], df)
    for c, beta in truth["effects"].items():
        assert abs(res.params[c] - beta) < 4 * res.bse[c], c
    assert abs(res.params["C(wave)[T.2024]"] - 0.1) < 4 * res.bse["C(wave)[T.2024]"]
    assert abs(res.params["Intercept"] - truth["intercept"]) < 4 * res.bse["Intercept"]
    assert res.sigma2["residual"] == pytest.approx(truth["sigma2"]["residual"], rel=0.03)
    # the variance components against the realised random effects (40 regions, 320 partnerships)
    realised = {level: np.var(list(truth[f"u_{level}"].values()), ddof=1) for level in ("region", "partnership")}
    assert res.sigma2["partnership"] == pytest.approx(realised["partnership"], rel=0.15)
    assert res.sigma2["region"] == pytest.approx(realised["region"], rel=0.15)


def test_truth_is_approximately_recovered_from_items():
    df, truth = simulate_clean(60_000, seed=4)
    res = nl.fit_nested_lmm(truth["formula"], df)
    for c, beta in truth["effects"].items():
        assert res.params[c] == pytest.approx(beta, abs=0.03), c  # rounding and clipping at 1 and 5
    assert res.sigma2["residual"] == pytest.approx(truth["residual_observed"], rel=0.1)
