"""Every pilot export: harmonised rows == raw data rows (counted independently), source_row runs 0..n-1,
and answers read back equal the raw file's answers."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest
import yaml
from conftest import TEST_SECRET
from ingest_files import QUESTIONNAIRE, count_csv_records, count_sav_rows, count_xlsx_rows

from borgingsmonitor.ingest.sources import file_units
from borgingsmonitor.ingest.steps import read_export

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
INPUT = ROOT / CONFIG["input_dir"]
UNITS = file_units(CONFIG)
LIKERT = {"Helemaal mee oneens": 1, "Mee oneens": 2, "Neutraal": 3, "Mee eens": 4, "Helemaal mee eens": 5}
LIKERT_CF = {k.casefold(): v for k, v in LIKERT.items()}


def raw_rows(unit) -> int:
    path = INPUT / unit.path
    tool = unit.settings.tool
    if tool == "msforms":
        return count_xlsx_rows(path)
    if tool == "spss":
        return count_sav_rows(path)
    return count_csv_records(path) - (3 if tool == "qualtrics" else 1)


@pytest.fixture(scope="module")
def harmonised():
    out = {}
    with pytest.MonkeyPatch.context() as mp:  # module scope runs before the autouse secret fixture
        mp.setenv("BORGING_SECRET", TEST_SECRET)
        for unit in UNITS:
            out[unit.path] = _ingest(unit)
    return out


def _ingest(unit):
    spec = {k: v for k, v in CONFIG["regions"][unit.region].items() if k != "sources"}
    return read_export(
        export=str(INPUT / unit.path),
        unit=unit,
        region_spec=spec,
        questionnaire=str(QUESTIONNAIRE),
        registry=str(INPUT / CONFIG["registry"]),
        label_sets=CONFIG["label_sets"],
        privacy={"use_deduce": False},
    )[0]


def test_the_pilot_has_ten_files_in_four_tools():
    assert len(UNITS) == 10
    assert {u.settings.tool for u in UNITS} == {"limesurvey", "msforms", "qualtrics", "spss"}


@pytest.mark.parametrize("unit", UNITS, ids=[u.file_id for u in UNITS])
def test_harmonised_rows_equal_raw_data_rows(unit, harmonised):
    table = harmonised[unit.path]
    n = raw_rows(unit)
    assert n > 100
    assert len(table) == n
    assert table["source_row"].tolist() == list(range(n))
    assert (table["source_file"] == unit.path).all()
    assert (table["region"] == unit.region).all()


def _compare_items(table: pd.DataFrame, raw: list[dict], columns: dict[str, str]):
    """The harmonised Likert values equal the raw labels, row by row, for consented rows."""
    consented = table["consent"].eq("yes").fillna(False).to_numpy()
    checked = 0
    for code, column in columns.items():
        for i, record in enumerate(raw):
            got = table[code].iloc[i]
            label = record[column]
            want = (
                LIKERT_CF.get(" ".join(label.split()).casefold() if isinstance(label, str) else label)
                if consented[i]
                else None
            )
            assert (pd.isna(got) and want is None) or got == want, (code, i, label, got)
            checked += want is not None
    assert checked > 50


def test_limesurvey_answers_match_the_raw_file(harmonised):
    unit = next(u for u in UNITS if u.settings.tool == "limesurvey")
    with open(INPUT / unit.path, encoding="utf-8-sig", newline="") as handle:
        raw = list(csv.DictReader(handle))
    _compare_items(
        harmonised[unit.path], raw, {"rel_know": "REL[SQ001]", "fac_time": "FAC[SQ001]", "dur_commitment": "DUR[SQ003]"}
    )


def test_qualtrics_answers_match_the_raw_file(harmonised):
    unit = next(u for u in UNITS if u.settings.tool == "qualtrics")
    with open(INPUT / unit.path, encoding="utf-8-sig", newline="") as handle:
        records = list(csv.reader(handle))
    raw = [dict(zip(records[0], r)) for r in records[3:]]
    _compare_items(harmonised[unit.path], raw, {"rel_know": "Q5_1", "org_strategy": "Q9_1"})
    keys = harmonised[unit.path]["respondent_key"]
    assert keys.notna().sum() > 100  # e-mail invitations: nearly everyone has a key


def test_forms_answers_match_the_raw_file(harmonised):
    unit = next(u for u in UNITS if u.settings.tool == "msforms")
    rows = list(openpyxl.load_workbook(INPUT / unit.path, read_only=True).active.iter_rows(values_only=True))
    raw = [dict(zip(rows[0], r)) for r in rows[1:]]
    _compare_items(
        harmonised[unit.path],
        raw,
        {
            "rel_know": "Ik ken de collega's van de partnerschool goed.",
            "pro_shared": "We hebben een gedeeld beeld van de gewenste impact.",
        },
    )
    assert harmonised[unit.path]["submitted"].notna().sum() > 100


def test_spss_answers_and_waves_match_the_raw_file(harmonised):
    unit = next(u for u in UNITS if u.settings.tool == "spss")
    data, meta = pyreadstat.read_sav(str(INPUT / unit.path), user_missing=True)
    table = harmonised[unit.path]
    assert table["wave"].tolist() == data["jaar"].astype(int).tolist()
    consented = table["consent"].eq("yes").fillna(False)
    for code, column in {"rel_know": "REL_1", "dur_embedded": "DUR_2"}.items():
        want = data[column].where(consented & data[column].between(1, 5))
        assert table[code].astype("Float64").fillna(-1).tolist() == want.fillna(-1).tolist()
    # code 9 is declared user-missing ("weet niet"): missing, never the value 9
    assert (data["REL_1"] == 9).any()
    assert table.loc[data["REL_1"] == 9, "rel_know"].isna().all()
