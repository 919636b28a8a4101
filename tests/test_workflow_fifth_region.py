"""A fifth region joins the four pilot regions with configuration alone: a Google-Forms CSV and a CSV saved
from Dutch Excel flow through ingestion and cleaning in the real workflow; a later broken export stops the
run and leaves the earlier clean data untouched."""

from __future__ import annotations

import hashlib
import shutil

import pandas as pd
import pytest
from conftest import REPO, example_config, run_workflow, write_config
from ingest_files import (
    ITEMS,
    csv_text,
    expected_items,
    registry_rows,
    responses,
    write_dutch_excel_csv,
    write_google_forms,
)

pytestmark = pytest.mark.slow

REGION = "zuid-limburg"
ROUTES = {
    "ZLB-01": "Route Techniek Heerlen",
    "ZLB-02": "Route Zorg & Welzijn Sittard",
    "ZLB-03": "Route ICT Coördinatie Maastricht",
}
GOOGLE = "zuid-limburg/Monitor DLR 2024 (Antwoorden) - Formulierreacties 1.csv"
EXCEL = "zuid-limburg/monitor_2025_definitief.csv"
TARGET = "results/clean/responses.parquet"


def fifth_region() -> dict:
    forms = {"items_by_wording": True, "questions_by_wording": True}
    return {
        "registry_region": "Zuid-Limburg",
        "fieldwork": {"2024": ["2024-03-01", "2024-04-30"], "2025": ["2025-03-01", "2025-04-30"]},
        "sources": [
            {
                "tool": "delimited",
                "files": [{"path": GOOGLE, "wave": 2024}],
                "fields": {"respondent_id": "E-mailadres"},
                **forms,
            },
            {
                "tool": "delimited",
                "files": [{"path": EXCEL, "wave": 2025}],
                "encoding": "cp1252",
                "delimiter": ";",
                "decimal": ",",
                "date_format": "%d-%m-%Y %H:%M",
                "fields": {"respondent_id": "E-mailadres", "submitted": "Ingevuld op"},
                **forms,
            },
        ],
    }


def with_routes(rows: list[dict]) -> list[dict]:
    return [r | {"route": list(ROUTES.values())[i % 3], "route_id": list(ROUTES)[i % 3]} for i, r in enumerate(rows)]


ROWS_2024 = with_routes(responses(8, seed=11, wave=2024))
ROWS_2025 = with_routes(responses(7, seed=11, wave=2025))  # same people (same e-mails) a year later


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("fifth")
    inputs = work / "input"
    for region in ("helmond", "noord-west-veluwe", "den-bosch", "west-brabant"):
        (inputs / region).parent.mkdir(parents=True, exist_ok=True)
        (inputs / region).symlink_to(REPO / "data" / "example" / region, target_is_directory=True)
    (inputs / "registry").mkdir()
    pilot = (REPO / "data" / "example" / "registry" / "partnerships.csv").read_text(encoding="utf-8")
    extra = csv_text(registry_rows("Zuid-Limburg", ROUTES))
    (inputs / "registry" / "partnerships.csv").write_text(pilot.rstrip("\n") + "\n" + extra, encoding="utf-8")
    write_google_forms(inputs / GOOGLE, ROWS_2024)
    write_dutch_excel_csv(inputs / EXCEL, ROWS_2025)
    config = example_config(input_dir=inputs)
    config["regions"][REGION] = fifth_region()
    write_config(work, config)
    run_workflow(work, TARGET)
    snapshot = {
        "responses": pd.read_parquet(work / TARGET),
        "harmonised": pd.read_parquet(work / "results/interim/harmonised.parquet"),
        "attrition": pd.read_csv(work / "results/qc/attrition.csv"),
        "exclusions": pd.read_csv(work / "results/qc/exclusions.csv"),
    }
    return work, inputs, snapshot


def test_the_new_region_is_ingested_row_for_row(run):
    _, _, snap = run
    h = snap["harmonised"]
    assert set(h["region"]) == {"helmond", "noord-west-veluwe", "den-bosch", "west-brabant", REGION}
    for path, rows in ((GOOGLE, ROWS_2024), (EXCEL, ROWS_2025)):
        part = h[h["source_file"] == path].sort_values("source_row")
        assert part["source_row"].tolist() == list(range(len(rows)))
        got = part[ITEMS].astype(object).where(part[ITEMS].notna(), None).to_dict("records")
        assert got == [expected_items(r) for r in rows]
        consented = part["consent"].eq("yes").to_numpy()
        assert part["partnership_id"].dropna().tolist() == [r["route_id"] for r, c in zip(rows, consented) if c]
        assert part["fac_hours"].dropna().tolist() == pytest.approx([r["hours"] for r, c in zip(rows, consented) if c])


def test_the_new_region_flows_through_cleaning(run):
    _, _, snap = run
    clean = snap["responses"]
    mine = clean[clean["region"] == REGION]
    assert sorted(mine["wave"].unique()) == [2024, 2025]
    attrition = snap["attrition"].set_index(["region", "wave"])
    assert attrition.loc[(REGION, 2024), "raw_rows"] == len(ROWS_2024)
    assert attrition.loc[(REGION, 2025), "raw_rows"] == len(ROWS_2025)
    assert attrition.loc[(REGION, 2024), "no_consent"] == 1
    assert len(mine) == attrition.loc[REGION, "analysed"].sum() > 0
    assert mine["partnership_age"].notna().all() and mine["REL"].notna().all()
    pilot = clean[clean["region"] != REGION]
    assert len(pilot) > 1000  # the four pilot regions are unaffected


def test_the_same_people_keep_their_keys_across_waves_and_tools(run):
    _, _, snap = run
    h = snap["harmonised"]
    keys = {
        wave: h[(h["region"] == REGION) & (h["wave"] == wave)].sort_values("source_row")["respondent_key"].tolist()
        for wave in (2024, 2025)
    }
    both = [(a, b) for a, b in zip(keys[2024], keys[2025]) if not pd.isna(a) and not pd.isna(b)]
    assert len(both) >= 5 and all(a == b for a, b in both)


def test_no_personal_data_of_the_new_region_in_results(run):
    work, _, _ = run
    secrets = {r["email"] for r in ROWS_2024 + ROWS_2025} | {r["name"] for r in ROWS_2024 + ROWS_2025}
    for path in (work / "results").rglob("*"):
        if path.is_file():
            text = (
                pd.read_parquet(path).to_csv()
                if path.suffix == ".parquet"
                else path.read_text(encoding="utf-8", errors="replace")
            )
            assert not [s for s in secrets if s in text], path


def test_a_broken_export_stops_the_run_and_keeps_the_earlier_clean_data(run):
    work, inputs, _ = run
    target = work / TARGET
    before = (hashlib.sha256(target.read_bytes()).hexdigest(), target.stat().st_mtime_ns)
    broken = inputs / GOOGLE
    shutil.copy(broken, work / "google.bak")
    broken.write_text(broken.read_text(encoding="utf-8").replace(",Mee eens,", ",Eens,"), encoding="utf-8")
    result = run_workflow(work, TARGET, check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert (
        "answer labels that no label set knows" in output and "Formulierreacties 1.csv" in output and "To fix" in output
    )
    assert (hashlib.sha256(target.read_bytes()).hexdigest(), target.stat().st_mtime_ns) == before
    log = (work / "logs" / "ingest_region" / f"{REGION}.log").read_text(encoding="utf-8")
    assert "'Eens' x" in log
