"""Descriptive table with the shared small-cell rule."""

import io

import numpy as np
import pandas as pd
import pytest
from fixtures.measure import simulate_responses
from hypothesis import given, settings
from hypothesis import strategies as st

from borgingsmonitor.core.tables import write_table
from borgingsmonitor.measure.descriptives import DESCRIPTIVE_COLUMNS, GROUP_TYPES, descriptives_table

SCALES = ["REL", "FAC", "PRO", "ORG", "DUR"]


@pytest.fixture(scope="module")
def data():
    return simulate_responses(n_per_region_wave=30, seed=5)


def test_columns_and_group_types(data):
    table = descriptives_table(data, SCALES)
    assert list(table.columns) == DESCRIPTIVE_COLUMNS
    assert table["group_type"].unique().tolist() == list(GROUP_TYPES)
    assert table["scale"].unique().tolist() == SCALES
    rel = table[table["scale"] == "REL"]
    assert rel[rel["group_type"] == "wave"]["group"].tolist() == ["2023", "2024", "2025"]
    assert rel[rel["group_type"] == "all"]["n"].iloc[0] == data["REL"].notna().sum()


def test_values_match_pandas(data):
    table = descriptives_table(data, SCALES, min_group_size=1).set_index(["scale", "group_type", "group"])
    grouped = data.groupby("region")["FAC"].agg(["count", "mean", "std"])
    for region, row in grouped.iterrows():
        got = table.loc[("FAC", "region", region)]
        assert got["n"] == row["count"]
        assert got["mean"] == pytest.approx(row["mean"])
        assert got["sd"] == pytest.approx(row["std"])


def test_small_groups_listed_and_blanked(data):
    df = data.copy()
    df.loc[df.index[:3], "role"] = "Stagiair"  # a group of 3
    table = descriptives_table(df, SCALES, min_group_size=5)
    small = table[(table["group_type"] == "role") & (table["group"] == "Stagiair")]
    assert len(small) == 5
    assert small["suppressed"].all()
    assert small[["n", "mean", "sd"]].isna().all().all()
    assert table.loc[table["suppressed"], "n"].isna().all(), "the n of a hidden group is not published"
    assert (table.loc[~table["suppressed"], "n"] >= 5).all()
    assert table.loc[~table["suppressed"], "mean"].notna().all()
    others = table[(table["group_type"] == "role") & (table["scale"] == "REL")]
    assert others["suppressed"].sum() >= 2, "a second role is hidden so that all minus the others does not give it"


def test_missing_group_value_is_no_group(data):
    df = data.copy()
    df.loc[df.index[:10], "org_type"] = pd.NA
    table = descriptives_table(df, ["REL"], min_group_size=1)
    org = table[table["group_type"] == "org_type"]
    assert org["n"].sum() == df["REL"][df["org_type"].notna()].notna().sum()
    assert "nan" not in org["group"].tolist() and "<NA>" not in org["group"].tolist()


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 12), st.lists(st.integers(1, 9), min_size=1, max_size=8))
def test_suppression_follows_rule_for_any_sizes(min_size, sizes):
    rows = []
    for g, size in enumerate(sizes):
        rows += [{"partnership_id": f"P{g}", "REL": 3.0 + (i % 2)} for i in range(size)]
    df = pd.DataFrame(rows)
    table = descriptives_table(df, ["REL"], min_group_size=min_size, group_types=("all", "partnership"))
    parts = table[table["group_type"] == "partnership"]
    small = [s < min_size for s in sizes]
    assert all(h for h, sm in zip(parts["suppressed"], small) if sm), "every small group is hidden"
    assert parts.loc[parts["suppressed"], ["n", "mean"]].isna().all().all()
    shown = parts.loc[~parts["suppressed"], "n"].tolist()
    assert shown == [s for s, h in zip(sizes, parts["suppressed"]) if not h]
    hidden_total = sum(sizes) - sum(shown)
    if any(small) and not table["suppressed"].iloc[0]:
        assert parts["suppressed"].sum() >= 2 and hidden_total >= min_size, "all minus the shown gives nothing small"


def test_write_table_contract_format(data):
    table = descriptives_table(data, ["REL"], min_group_size=200)
    buf = io.StringIO()
    write_table(table, buf)
    text = buf.getvalue()
    assert text.splitlines()[0] == ",".join(DESCRIPTIVE_COLUMNS)
    assert ",true" in text and ",false" in text
    back = pd.read_csv(io.StringIO(text))
    assert back["suppressed"].dtype == bool
    assert np.isnan(back.loc[back["suppressed"], "mean"]).all()
