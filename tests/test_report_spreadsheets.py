"""The tables and clean data in the files users open: Excel and a labelled SPSS file."""

from __future__ import annotations

import pandas as pd
import pyreadstat
from conftest import REPO
from openpyxl import load_workbook

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.report import spreadsheets as S
from borgingsmonitor.report.translate import Translator

Q = load_questionnaire(REPO / "config" / "questionnaire.yaml")


def responses() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "respondent_key": ["a" * 20, "b" * 20, None],
            "region": ["helmond", "helmond", "den-bosch"],
            "partnership_id": pd.array(["HEL-01", "=1+2", "DBO-01"], dtype="string"),
            "wave": [2024, 2024, 2025],
            "role": pd.array(["Docent", None, "Teamleider"], dtype="string"),
            "rel_know": pd.array([4, None, 2], dtype="Int64"),
            "REL": [3.5, float("nan"), 2.25],
            "comment": pd.array(["@SUM(1+1)*cmd|' /C calc'!A0", None, "prima"], dtype="string"),
        }
    )
    return frame


def test_workbook_keeps_numbers_as_numbers_and_defuses_formulas(tmp_path):
    S.write_workbook({"responses": responses()}, tmp_path / "r.xlsx")
    sheet = load_workbook(tmp_path / "r.xlsx")["responses"]
    header = [c.value for c in sheet[1]]
    rows = {header[i]: [row[i].value for row in sheet.iter_rows(min_row=2)] for i in range(len(header))}
    assert rows["REL"][0] == 3.5 and isinstance(rows["REL"][0], float)
    assert rows["partnership_id"][1] == "'=1+2" and rows["comment"][0].startswith("'@SUM")
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert sheet.freeze_panes == "A2"


def test_workbook_and_sav_are_byte_identical_on_rerun(tmp_path):
    t = Translator("nl", Q)
    for name in ("one", "two"):
        S.write_workbook({"responses": responses()}, tmp_path / f"{name}.xlsx")
        S.write_sav(responses(), Q, tmp_path / f"{name}.sav", t)
    assert (tmp_path / "one.xlsx").read_bytes() == (tmp_path / "two.xlsx").read_bytes()
    assert (tmp_path / "one.sav").read_bytes() == (tmp_path / "two.sav").read_bytes()


def test_sav_has_variable_and_value_labels(tmp_path):
    S.write_sav(responses(), Q, tmp_path / "r.sav", Translator("nl", Q))
    data, meta = pyreadstat.read_sav(str(tmp_path / "r.sav"))
    assert meta.column_names_to_labels["rel_know"] == "Ik ken de collega's van de partnerschool goed."
    assert meta.variable_value_labels["rel_know"][5.0] == "Helemaal mee eens"
    roles = meta.variable_value_labels["role"]
    assert roles[data.loc[0, "role"]] == "Docent" and pd.isna(data.loc[1, "role"])
    assert data.loc[2, "rel_know"] == 2 and pd.isna(data.loc[1, "rel_know"])


def test_codebook_in_the_report_language():
    book = S.codebook(responses(), Q, Translator("en", Q)).set_index("variable")
    assert book.loc["wave", "label"] == "Survey year"
    assert book.loc["REL", "label"] == "Relational conditions"
    assert book.loc["role", "values"].startswith("1 = Docent")


def qc_files(tmp_path) -> dict[str, str]:
    files = {
        "exclusions": "region,wave,source_file,source_row,reason,detail\n"
        "helmond,2024,helmond/a.csv,3,duplicate,later submission kept (row 7)\n"
        "helmond,2024,helmond/a.csv,4,test,submitted outside the fieldwork window; test mark in e-mail\n"
        "helmond,2024,helmond/a.csv,5,speeder,12 s < 60 s\n",
        "attrition": "region,wave,raw_rows,no_consent,incomplete,duplicate,test,speeder,unknown_partnership,analysed\n"
        "helmond,2024,10,0,0,1,1,1,0,7\n",
        "value_issues": "region,wave,source_file,source_row,column,problem,value\nhelmond,2024,helmond/a.csv,2,fac_hours,out_of_range,007\n",
        "unmapped_columns": "region,source_file,column,non_empty\n",
    }
    for name, text in files.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    return {name: str(tmp_path / f"{name}.csv") for name in files}


def test_qc_workbook_speaks_dutch_in_a_dutch_run_and_keeps_values(tmp_path):
    sheets = S.qc_sheets(qc_files(tmp_path), Translator("nl", Q))
    assert list(sheets) == [
        "Uitgesloten rijen",
        "Van ruw naar geanalyseerd",
        "Ongeldige waarden",
        "Niet-gekoppelde kolommen",
    ]
    excluded = sheets["Uitgesloten rijen"]
    assert list(excluded.columns) == ["Regio", "Jaar", "Bestand", "Gegevensrij (vanaf 0)", "Reden", "Toelichting"]
    assert list(excluded["Toelichting"]) == [
        "latere inzending bewaard (rij 7)",
        "ingestuurd buiten het veldwerk; testmarkering in e-mailadres",
        "12 s < 60 s",
    ]
    assert list(excluded["Reden"]) == ["Dubbel ingevuld", "Testantwoord of buiten veldwerk", "Te snel ingevuld"]
    assert "Geen toestemming" in sheets["Van ruw naar geanalyseerd"].columns
    issues = sheets["Ongeldige waarden"]
    assert issues["Probleem"].tolist() == ["buiten het bereik"] and issues["Waarde"].tolist() == ["007"]
    assert sheets["Niet-gekoppelde kolommen"].empty
    S.write_workbook(sheets, tmp_path / "qc.xlsx")
    assert load_workbook(tmp_path / "qc.xlsx").sheetnames == list(sheets)


def test_qc_workbook_in_english_keeps_the_stored_details(tmp_path):
    sheets = S.qc_sheets(qc_files(tmp_path), Translator("en", Q))
    assert sheets["Excluded rows"]["Detail"].iloc[0] == "later submission kept (row 7)"
