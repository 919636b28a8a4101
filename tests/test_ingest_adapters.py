"""Each adapter on small files shaped like its tool's real exports, including variants the pilot does not have."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest
from ingest_files import (
    ITEMS,
    LIME_CODE_LABEL_SETS,
    LIME_CODES,
    QUALTRICS_NUMERIC_LABEL_SETS,
    Q,
    dutch_excel_settings,
    expected_items,
    google_settings,
    limesurvey_settings,
    msforms_settings,
    option,
    qualtrics_settings,
    responses,
    run_ingest,
    spss_settings,
    write_dutch_excel_csv,
    write_google_forms,
    write_limesurvey,
    write_msforms,
    write_qualtrics,
    write_sav,
)

from borgingsmonitor.ingest.limesurvey import LimeSurvey
from borgingsmonitor.ingest.schema import harmonised_columns
from borgingsmonitor.ingest.sources import SourceSettings

ROWS = responses(6, seed=1)


def check(table: pd.DataFrame, rows: list[dict], submitted_to_minute: bool = False):
    """The harmonised rows say exactly what the responses said; the row without consent keeps nothing."""
    assert list(table.columns) == harmonised_columns(Q)
    assert len(table) == len(rows)
    assert table["source_row"].tolist() == list(range(len(rows)))
    got_items = table[ITEMS].astype(object).where(table[ITEMS].notna(), None).to_dict("records")
    assert got_items == [expected_items(r) for r in rows]
    assert table["consent"].tolist() == ["yes" if r["consent"] else "no" for r in rows]
    yes = [i for i, r in enumerate(rows) if r["consent"]]
    for i in yes:
        row, r = table.iloc[i], rows[i]
        assert row["partnership_id"] == r["route_id"]
        assert row["role"] == option("role", r["role"])
        assert row["org_type"] == option("org_type", r["org_type"])
        assert row["phase"] == option("phase", r["phase"])
        assert row["years_involved"] == r["years"]
        assert row["fac_hours"] == pytest.approx(r["hours"])
        want = r["submitted"].replace(second=0) if submitted_to_minute else r["submitted"]
        assert row["submitted"] == pd.Timestamp(want)
        assert row["completed"]
    assert table["respondent_key"].iloc[yes].notna().all()
    assert table["respondent_key"].str.fullmatch(r"[0-9a-f]{20}").fillna(True).all()


# --- LimeSurvey -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
@pytest.mark.parametrize("headings", ["brackets", "underscore"])
@pytest.mark.parametrize("config_spelling", ["brackets", "underscore"])
def test_limesurvey_code_headings_in_either_spelling(tmp_path, bom, headings, config_spelling):
    path = write_limesurvey(tmp_path / "results-survey1.csv", ROWS, headings=headings, bom=bom)
    settings = limesurvey_settings()
    if config_spelling == "underscore":
        settings["items"] = {code: ref.replace("[", "_").replace("]", "") for code, ref in LIME_CODES.items()}
    table, issues = run_ingest(tmp_path, path, settings)
    check(table, ROWS)
    assert table["duration_s"].iloc[0] == ROWS[0]["duration"]
    assert issues.empty


@pytest.mark.parametrize("bom", [True, False])
def test_limesurvey_bom_is_not_part_of_the_first_heading(tmp_path, bom):
    path = write_limesurvey(tmp_path / "r.csv", ROWS, bom=bom)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") == bom
    raw = LimeSurvey().read(path, SourceSettings(tool="limesurvey"))
    assert raw.data.columns[0] == "id" and raw.data["id"].tolist() == [str(i) for i in range(1, 7)]


def test_limesurvey_full_text_headings(tmp_path):
    path = write_limesurvey(tmp_path / "r.csv", ROWS, headings="fulltext")
    table, _ = run_ingest(tmp_path, path, limesurvey_settings(headings="fulltext"))
    check(table, ROWS)


def test_limesurvey_answer_codes_with_label_sets(tmp_path):
    path = write_limesurvey(tmp_path / "r.csv", ROWS, answers="codes")
    assert "A6" in path.read_text(encoding="utf-8-sig")  # the don't-know code is in the file
    table, issues = run_ingest(tmp_path, path, limesurvey_settings(answers="codes"), label_sets=LIME_CODE_LABEL_SETS)
    check(table, ROWS)
    assert issues.empty


def test_limesurvey_answer_codes_without_label_sets_stop(tmp_path):
    path = write_limesurvey(tmp_path / "r.csv", ROWS, answers="codes")
    with pytest.raises(Exception, match="'A1'"):
        run_ingest(tmp_path, path, limesurvey_settings())


# --- Qualtrics --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header_rows,newline,bom",
    [(3, "\r\n", True), (3, "\n", False), (2, "\r\n", False), (2, "\n", True)],
    ids=["3rows-crlf-bom", "3rows-lf", "2rows-crlf", "2rows-lf-bom"],
)
def test_qualtrics_layouts(tmp_path, header_rows, newline, bom):
    path = write_qualtrics(
        tmp_path / "Monitor_April 5, 2023_12.16.csv", ROWS, header_rows=header_rows, newline=newline, bom=bom
    )
    table, issues = run_ingest(tmp_path, path, qualtrics_settings())
    check(table, ROWS)
    assert table["duration_s"].tolist()[:2] == [r["duration"] for r in ROWS[:2]]
    assert issues.empty


def test_qualtrics_comment_with_newlines_and_commas_stays_one_row(tmp_path):
    rows = [dict(r) for r in ROWS]
    rows[1]["comment"] = 'Eerste regel, met komma\r\n"Citaat" op de tweede regel'
    path = write_qualtrics(tmp_path / "q.csv", rows)
    table, _ = run_ingest(tmp_path, path, qualtrics_settings())
    check(table, rows)
    assert '"Citaat" op de tweede regel' in table["comment"].iloc[1]


def test_qualtrics_numeric_values(tmp_path):
    path = write_qualtrics(tmp_path / "q.csv", ROWS, numeric=True)
    table, issues = run_ingest(
        tmp_path, path, qualtrics_settings(numeric=True), label_sets=QUALTRICS_NUMERIC_LABEL_SETS
    )
    check(table, ROWS)
    assert issues.empty


def test_qualtrics_preview_responses_are_marked(tmp_path):
    status = ["IP Address", "Survey Preview", "IP Address", "IP Address", "Survey Test", "IP Address"]
    path = write_qualtrics(tmp_path / "q.csv", ROWS, status=status)
    table, _ = run_ingest(tmp_path, path, qualtrics_settings())
    assert table["test_marker"].fillna("").tolist()[:2] == ["", "tool"]
    assert table["test_marker"].iloc[4] == "tool"


# --- Microsoft Forms --------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_forms_header_sets_and_date_cells(tmp_path, lang):
    path = write_msforms(tmp_path / "Monitor(1-6).xlsx", ROWS, lang=lang)
    table, issues = run_ingest(tmp_path, path, msforms_settings(lang))
    check(table, ROWS)
    # Forms has no duration column: completion minus start time
    assert table["duration_s"].iloc[0] == ROWS[0]["duration"]
    assert issues.empty


def test_forms_builder_writes_real_date_cells(tmp_path):
    sheet = openpyxl.load_workbook(write_msforms(tmp_path / "f.xlsx", ROWS, lang="en")).active
    assert sheet.cell(2, 2).is_date and sheet.cell(2, 3).is_date
    assert "Strongly" in " ".join(str(c.value) for c in sheet[2])


# --- SPSS -------------------------------------------------------------------------------------------------


def test_spss_value_labels_and_discrete_user_missing(tmp_path):
    second = responses(4, seed=2, wave=2024)
    path = write_sav(tmp_path / "monitor.sav", {2023: ROWS, 2024: second})
    table, issues = run_ingest(tmp_path, path, spss_settings())
    check(table.iloc[:6].reset_index(drop=True), ROWS)
    assert table["wave"].tolist() == [2023] * 6 + [2024] * 4
    assert table["source_row"].tolist() == list(range(10))
    assert table[ITEMS].iloc[6:].astype(object).where(table[ITEMS].iloc[6:].notna(), None).to_dict("records") == [
        expected_items(r) for r in second
    ]
    assert issues.empty


@pytest.mark.parametrize("missing,code", [("range", 8), ("discrete", 9), ("discrete", 8)])
def test_spss_user_missing_is_dont_know_not_a_value(tmp_path, missing, code):
    path = write_sav(tmp_path / "m.sav", {2023: ROWS}, dont_know=code, missing=missing)
    table, issues = run_ingest(tmp_path, path, spss_settings())
    assert pd.isna(table[ITEMS[0]].iloc[3])  # the don't-know answer
    check(table, ROWS)
    assert issues.empty


def test_spss_codes_without_a_label_are_the_answer_value(tmp_path):
    path = write_sav(tmp_path / "m.sav", {2023: ROWS}, label_all=False)  # only 1 and 5 carry a label
    table, _ = run_ingest(tmp_path, path, spss_settings())
    check(table, ROWS)


def test_spss_completion_marker_from_value_labels(tmp_path):
    path = write_sav(tmp_path / "m.sav", {2023: ROWS})
    settings = spss_settings()
    settings["fields"]["completed"] = {"column": "status", "values": ["Onvolledig"]}
    table, _ = run_ingest(tmp_path, path, settings)
    assert not table["completed"].any()


# --- Delimited --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("timestamp", ["Tijdstempel", "Timestamp"])
def test_google_forms_csv(tmp_path, timestamp):
    path = write_google_forms(tmp_path / "Monitor (Antwoorden) - Formulierreacties 1.csv", ROWS, timestamp=timestamp)
    table, issues = run_ingest(tmp_path, path, google_settings())
    check(table, ROWS)
    assert issues.empty


def test_dutch_excel_csv(tmp_path):
    path = write_dutch_excel_csv(tmp_path / "monitor.csv", ROWS)
    raw = path.read_bytes()
    assert b";" in raw and b"\r\n" in raw and "Renée".encode("cp1252") in raw and b"2,2" in raw
    table, issues = run_ingest(tmp_path, path, dutch_excel_settings())
    check(table, ROWS, submitted_to_minute=True)
    assert table["fac_hours"].iloc[1] == pytest.approx(2.2)
    assert issues.empty


def test_dutch_excel_dates_are_day_first(tmp_path):
    rows = [dict(r) for r in ROWS]
    rows[0]["submitted"] = dt.datetime(2024, 3, 4, 9, 5)  # written 4-3-2024 9:05: 4 March, not 3 April
    path = write_dutch_excel_csv(tmp_path / "monitor.csv", rows)
    assert "4-3-2024 9:05" in path.read_text(encoding="cp1252")
    table, _ = run_ingest(tmp_path, path, dutch_excel_settings())
    assert table["submitted"].iloc[0] == pd.Timestamp("2024-03-04 09:05")


def zoned(when: dt.datetime, style: str) -> str:
    """A Dutch local time as a tool with a time zone writes it (summer time from 31 March 2024, 02:00)."""
    summer = when >= dt.datetime(2024, 3, 31, 2)
    utc = when - dt.timedelta(hours=2 if summer else 1)
    if style == "iso":
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "google":
        return when.strftime("%Y/%m/%d %I:%M:%S %p ") + ("GMT+2" if summer else "GMT+1")
    return (
        when.strftime("%Y/%m/%d %I:%M:%S ") + ("a.m." if when.hour < 12 else "p.m.") + (" CEST" if summer else " CET")
    )


@pytest.mark.parametrize("style", ["google", "google_nl", "iso"])
def test_timestamps_with_a_zone_are_dutch_local_time(tmp_path, style):
    """Google Forms writes '2024/03/30 11:31:42 AM GMT+1' (GMT+2 after the clocks change) or, in Dutch,
    '2024/03/30 11:31:42 a.m. CET'; API exports write ISO 8601 in UTC."""
    rows = [dict(r) for r in ROWS]
    rows[0]["submitted"] = dt.datetime(2024, 3, 30, 11, 31, 42)  # winter time
    rows[1]["submitted"] = dt.datetime(2024, 4, 2, 14, 30, 31)  # summer time
    path = write_google_forms(tmp_path / "g.csv", rows)
    text = path.read_text(encoding="utf-8")
    for r in rows:
        text = text.replace(r["submitted"].strftime("%Y/%m/%d %H:%M:%S"), zoned(r["submitted"], style))
    path.write_text(text, encoding="utf-8")
    assert ("a.m. CET" in text) == (style == "google_nl")
    table, _ = run_ingest(tmp_path, path, google_settings())
    consenting = [i for i, r in enumerate(rows) if r["consent"]]  # a response without consent keeps no time
    assert 0 in consenting and 1 in consenting
    assert table["submitted"][consenting].tolist() == [pd.Timestamp(rows[i]["submitted"]) for i in consenting]


def test_forms_empty_identity_cell_gets_no_key(tmp_path):
    """An empty e-mail cell is no identity: those respondents must not share one key (and be 'duplicates')."""
    consenting = [i for i, r in enumerate(ROWS) if r["consent"]][:2]
    rows = [dict(r, email=None) if i in consenting else r for i, r in enumerate(ROWS)]
    table, _ = run_ingest(tmp_path, write_msforms(tmp_path / "f.xlsx", rows), msforms_settings())
    keys = table.set_index("source_row")["respondent_key"]
    assert keys[consenting].isna().all()
    assert keys[[i for i, r in enumerate(ROWS) if r["consent"] and i not in consenting]].notna().all()
