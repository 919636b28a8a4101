"""No e-mail, name, phone number, IP, token, response id or location from the raw pilot exports appears
anywhere under results/ after ingestion and cleaning (with deduce on, as in production).

The steps are the workflow's own (read_export per file, gather_harmonised, clean_tables) run in one process
writing what the rules write, so deduce loads once instead of once per file.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest
from conftest import TEST_SECRET
from fixtures.example import CONFIG, INPUT, QUESTIONNAIRE, ingest_and_clean

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.core.responses import read_responses
from borgingsmonitor.ingest.sources import file_units
from borgingsmonitor.report import spreadsheets as S
from borgingsmonitor.report.translate import Translator

pytestmark = pytest.mark.slow

PERSONAL_COLUMNS = {
    "limesurvey": ["token", "ipaddr"],
    "qualtrics": [
        "IPAddress",
        "ResponseId",
        "RecipientLastName",
        "RecipientFirstName",
        "RecipientEmail",
        "ExternalReference",
        "LocationLatitude",
        "LocationLongitude",
    ],
    "msforms": ["E-mail", "Naam", "Email", "Name"],
    "spss": ["email"],
}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?:\+31|0031|\b0)[\s-]?(?:\(0\)[\s-]?)?\d(?:[\s-]?\d){7,9}\b")
SIGNED = re.compile(r"(?:[Gg]roet(?:en)?|[Mm]vg),?\s+([A-Z][\w-]+(?: [a-z]+)*(?: [A-Z][\w'-]+)+)")


def raw_records(unit) -> list[dict]:
    path = INPUT / unit.path
    tool = unit.settings.tool
    if tool == "msforms":
        rows = list(openpyxl.load_workbook(path, read_only=True).active.iter_rows(values_only=True))
        return [dict(zip(rows[0], r)) for r in rows[1:]]
    if tool == "spss":
        return pyreadstat.read_sav(str(path))[0].to_dict("records")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        records = [r for r in csv.reader(handle) if r]
    skip = 3 if tool == "qualtrics" else 1
    return [dict(zip(records[0], r)) for r in records[skip:]]


def personal_values() -> tuple[set[str], set[str]]:
    """(values of the personal columns, e-mail addresses and signed names anywhere in the raw files)."""
    values, found = set(), set()
    for unit in file_units(CONFIG):
        for record in raw_records(unit):
            for column in PERSONAL_COLUMNS[unit.settings.tool]:
                value = record.get(column)
                if value is not None and str(value).strip() and str(value).strip().casefold() != "anonymous":
                    values.add(str(value).strip())
            for value in record.values():
                if isinstance(value, str):
                    found |= set(EMAIL.findall(value)) | set(SIGNED.findall(value))
    return values, found


def output_texts(results: Path) -> dict[str, tuple[str, str]]:
    """Per output file: (its contents as text, its raw bytes decoded). Parquet, Excel and SPSS files are read
    back as tables (their raw bytes are compressed or binary, searched for literal values only)."""
    texts = {}
    for path in sorted(p for p in results.rglob("*") if p.is_file()):
        raw = path.read_bytes().decode("utf-8", errors="replace")
        reader = READERS.get(path.suffix)
        texts[str(path.relative_to(results))] = (reader(path) if reader else raw, raw)
    return texts


def workbook_text(path: Path) -> str:
    book = openpyxl.load_workbook(path, read_only=True)
    return "\n".join(
        ",".join(str(v) for v in row if v is not None) for sheet in book for row in sheet.iter_rows(values_only=True)
    )


def sav_text(path: Path) -> str:
    frame, meta = pyreadstat.read_sav(str(path))
    labels = [str(v) for column in meta.variable_value_labels.values() for v in column.values()]
    return frame.to_csv(index=False) + "\n".join(meta.column_labels + labels)


READERS = {".parquet": lambda p: pd.read_parquet(p).to_csv(index=False), ".xlsx": workbook_text, ".sav": sav_text}


def people_files(results: Path) -> None:
    """What the report rules make of the clean data and QC tables for people (Excel, SPSS), as they make it."""
    t = Translator("nl", load_questionnaire(QUESTIONNAIRE))
    (results / "qc" / "unmapped_columns.csv").write_text("region,source_file,column,non_empty\n", encoding="utf-8")
    qc = {name: str(results / "qc" / f"{name}.csv") for name in S.QC_TABLES}
    S.write_workbook(S.qc_sheets(qc, t), results / "qc" / "qc.xlsx")
    responses = read_responses(results / "clean" / "responses.parquet")
    S.write_workbook({"responses": responses}, results / "clean" / "responses.xlsx")
    S.write_sav(responses, t.questionnaire, results / "clean" / "responses.sav", t)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    results = tmp_path_factory.mktemp("privacy") / "results"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BORGING_SECRET", TEST_SECRET)
        ingest_and_clean(results, use_deduce=True)
    people_files(results)
    return output_texts(results)


def test_the_raw_exports_do_hold_personal_data():
    values, found = personal_values()
    emails = {v for v in found if "@" in v}
    assert len(values) > 500 and len(emails) > 300
    assert "Renée van Beek" in found and "Jan-Willem van Vliet" in found


def test_every_output_was_written(outputs):
    assert len([p for p in outputs if p.startswith("interim/ingested/")]) == 20
    assert {
        "clean/responses.parquet",
        "qc/exclusions.csv",
        "qc/attrition.csv",
        "qc/value_issues.csv",
        "interim/harmonised.parquet",
    } <= set(outputs)
    assert "[naam]" in outputs["clean/responses.parquet"][0]  # comments were scrubbed, not dropped
    assert {"qc/qc.xlsx", "clean/responses.xlsx", "clean/responses.sav"} <= set(outputs)
    assert all("Docent" in outputs[f"clean/responses.{kind}"][0] for kind in ("xlsx", "sav"))  # read back, not bytes
    assert "testmarkering in opmerking" in outputs["qc/qc.xlsx"][0]


def test_no_email_address_anywhere(outputs):
    for name, (text, _) in outputs.items():
        assert not EMAIL.findall(text), name


def test_no_value_of_a_personal_column_anywhere(outputs):
    values, found = personal_values()
    values = sorted(values | found)
    for name, texts in outputs.items():
        for text in texts:
            # a plain substring search first (fast); then whole words only: 'Bakker' is not in 'Bakkerij'
            hits = [v for v in values if v in text]
            leaked = [v for v in hits if re.search(rf"(?<![\w.]){re.escape(v)}(?!\w)", text)]
            assert not leaked, (name, leaked[:5])


def test_no_phone_number_anywhere(outputs):
    for name, (text, _) in outputs.items():
        text = re.sub(r"\b[0-9a-f]{20}\b", "", text)  # respondent keys are hex, not phone numbers
        assert not PHONE.findall(text), (name, PHONE.findall(text)[:5])


def test_signed_names_in_comments_are_gone_but_the_comment_stays(outputs):
    text = outputs["clean/responses.parquet"][0] + outputs["interim/harmonised.parquet"][0]
    for name in ("Renée van Beek", "Renée", "Esmée Brouwer", "Jan-Willem"):
        assert name not in text
    assert "Het zou fijn zijn als de resultaten ook met ons gedeeld worden." in text
    assert "Graag meer uren voor de verbinders." in text
