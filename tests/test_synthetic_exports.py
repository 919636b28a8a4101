"""The synthetic export generator: every tool's format flows through ingestion and cleaning with the traps' known fates."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import TEST_SECRET
from snakemake.utils import validate

from borgingsmonitor.clean.steps import clean_tables
from borgingsmonitor.ingest.sources import file_units
from borgingsmonitor.ingest.steps import gather_harmonised, read_export
from borgingsmonitor.synthetic.exports import EXCLUSIONS, TOOLS, make_exports, region_tools
from borgingsmonitor.synthetic.simulate import simulate_clean

REPO = Path(__file__).resolve().parents[1]
N, REGIONS, WAVES, SEED = 2000, 5, 3, 7


def run_cleaning(root: Path):
    """Ingestion of every file, the gather and cleaning: the functions the workflow's rules run."""
    config = yaml.safe_load((root / "config.yaml").read_text(encoding="utf-8"))
    questionnaire = str(root / config["questionnaire"])
    registry = str(root / config["input_dir"] / config["registry"])
    tables, issues = [], []
    for unit in file_units(config):
        spec = {k: v for k, v in config["regions"][unit.region].items() if k != "sources"}
        table, found = read_export(
            str(root / config["input_dir"] / unit.path),
            unit,
            spec,
            questionnaire,
            registry,
            config.get("label_sets", {}),
            config["privacy"],
        )
        tables.append(root / f"{unit.region}-{unit.file_id}.parquet")
        issues.append(root / f"{unit.region}-{unit.file_id}.issues.csv")
        table.to_parquet(tables[-1], index=False)
        found.to_csv(issues[-1], index=False)
    harmonised, ingest_issues = gather_harmonised([str(p) for p in tables], [str(p) for p in issues], questionnaire)
    harmonised.to_parquet(root / "harmonised.parquet", index=False)
    ingest_issues.to_csv(root / "ingest_issues.csv", index=False)
    return config, clean_tables(
        str(root / "harmonised.parquet"),
        str(root / "ingest_issues.csv"),
        registry,
        questionnaire,
        config["regions"],
        config["cleaning"],
    )


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    exports = make_exports(root, N, n_regions=REGIONS, n_waves=WAVES, seed=SEED, use_deduce=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BORGING_SECRET", TEST_SECRET)
        config, (responses, exclusions, attrition, issues) = run_cleaning(root)
    return exports, config, responses, exclusions, attrition, issues


def test_every_tool_is_written_and_the_config_is_valid(made):
    exports, config, *_ = made
    assert {tool for tool, _ in exports.files.values()} == set(TOOLS)
    assert len(exports.files) == REGIONS * WAVES
    validate(config, schema=str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    assert exports.registry.read_text(encoding="utf-8").count(" R0") >= 1  # stray spaces, as real registries have


def test_file_layouts_are_the_tools_own(made):
    exports, *_ = made
    by_tool = {tool: exports.root / "exports" / path for path, (tool, _) in sorted(exports.files.items())}
    lime = by_tool["limesurvey"].read_bytes()
    assert lime.startswith(b'\xef\xbb\xbf"id","submitdate"') and b"\r\n" in lime
    qualtrics = by_tool["qualtrics"].read_text(encoding="utf-8-sig").splitlines()
    assert qualtrics[0].startswith("StartDate,EndDate") and qualtrics[2].startswith('"{""ImportId""')
    dutch = by_tool["delimited"].read_bytes()
    assert b";" in dutch.splitlines()[0] and "ö".encode("cp1252") in dutch  # coördinator in cp1252
    assert by_tool["msforms"].read_bytes()[:2] == b"PK"
    assert by_tool["spss"].read_bytes()[:4] == b"$FL2"


def test_every_raw_row_meets_its_expected_fate(made):
    exports, _, responses, exclusions, attrition, _ = made
    got = pd.concat(
        [
            exclusions[["source_file", "source_row", "reason"]].rename(columns={"reason": "fate"}),
            responses[["source_file", "source_row"]].assign(fate="analysed"),
        ]
    )
    both = exports.fates.merge(got, on=["source_file", "source_row"], how="outer", suffixes=("_expected", "_got"))
    assert len(both) == len(exports.fates) == attrition["raw_rows"].sum()
    wrong = both[both["fate_expected"] != both["fate_got"]]
    assert wrong.empty, wrong.head().to_string()
    assert set(exports.fates["fate"]) == {"analysed", *EXCLUSIONS}
    assert (exports.fates["fate"] == "analysed").sum() == N


def test_analysed_answers_are_the_simulated_ones(made):
    exports, _, responses, *_ = made
    clean, _ = simulate_clean(N, REGIONS, 8 * REGIONS, tuple(range(2023, 2026)), SEED)
    rows = responses.merge(exports.fates[["source_file", "source_row", "sim_row"]], on=["source_file", "source_row"])
    expected = clean.iloc[rows["sim_row"].to_numpy()].reset_index(drop=True)
    for column in [
        "partnership_id",
        "region",
        "wave",
        "role",
        "org_type",
        "phase",
        "rel_know",
        "rel_distant",
        "dur_commitment",
    ]:
        assert rows[column].astype(object).tolist() == expected[column].astype(object).tolist(), column
    for scale in ["REL", "FAC", "PRO", "ORG", "DUR"]:
        np.testing.assert_allclose(rows[scale].to_numpy(dtype=float), expected[scale].to_numpy(dtype=float), rtol=1e-12)
    trapped = rows["sim_row"].isin(exports.fates.loc[exports.fates["value_trap"] != "", "sim_row"])
    np.testing.assert_allclose(
        rows.loc[~trapped, "fac_hours"].to_numpy(dtype=float),
        expected.loc[~trapped.to_numpy(), "fac_hours"].to_numpy(dtype=float),
    )
    assert rows.loc[trapped, "fac_hours"].isna().all()


def test_value_traps_are_listed_and_comments_scrubbed(made):
    exports, _, responses, _, _, issues = made
    traps = exports.fates[exports.fates["value_trap"] != ""]
    listed = issues[issues["column"] == "fac_hours"].merge(traps, on=["source_file", "source_row"])
    assert len(listed) == len(traps) > 0
    assert (listed["problem"] == listed["value_trap"]).all()
    comments = responses["comment"].dropna()
    assert len(comments) > 10
    assert not comments.str.contains("@|06-1234|0612345678|Fleur", regex=True).any()


def test_same_seed_same_bytes(tmp_path):
    def digest(root):
        return {
            p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }

    a = make_exports(tmp_path / "a", 300, n_regions=5, n_waves=2, seed=3)
    b = make_exports(tmp_path / "b", 300, n_regions=5, n_waves=2, seed=3)
    c = make_exports(tmp_path / "c", 300, n_regions=5, n_waves=2, seed=4)
    assert digest(a.root) == digest(b.root)
    assert digest(a.root) != digest(c.root)


def test_large_region_counts_keep_xlsx_and_sav_a_minority():
    tools = region_tools(40)
    assert tools[:5] == list(TOOLS)
    assert tools.count("msforms") + tools.count("spss") <= 6
