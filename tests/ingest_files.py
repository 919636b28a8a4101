"""Builders for small raw export files shaped like each survey tool's real output, shared by the ingestion tests.

A response is a plain dict (see `responses`); every writer turns the same responses into its tool's layout,
so a test can compare what ingestion reads with what was written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.ingest.sources import FileUnit
from borgingsmonitor.ingest.steps import read_export

ROOT = Path(__file__).resolve().parents[1]
QUESTIONNAIRE = ROOT / "config" / "questionnaire.yaml"
Q = load_questionnaire(QUESTIONNAIRE)
ITEMS = Q.item_codes
LIKERT_NL = list(Q.likert_labels_nl)
LIKERT_EN = list(Q.likert_labels_en)
DONT_KNOW_NL = "Weet niet / n.v.t."
DONT_KNOW_EN = "Don't know / not applicable"
SECRET = "test-secret-for-respondent-keys-32-bytes-long"

REGION = "testregio"
REGISTRY_REGION = "Testregio"
ROUTES = {
    "TST-01": "Route Techniek Teststad",
    "TST-02": "Route Zorg & Welzijn Proefdorp",
    "TST-03": "Route ICT Coördinatie",
}
FIRST = ["Renée", "Jan", "Fatima", "Pieter", "Anouk", "Mohamed", "Sanne", "Kees"]
LAST = ["van Beek", "de Vries", "El Amrani", "Jansen", "Bakker", "Çelik", "Visser", "de Graaf"]

# LimeSurvey array codes of the pilot: REL[SQ001] .. DUR[SQ003].
LIME_CODES = {
    code: f"{code[:3].upper()}[SQ{n:03d}]" for s, codes in Q.scales.items() for n, code in enumerate(codes, 1)
}
LIME_QUESTIONS = {
    "consent": "toestemming",
    "partnership": "route",
    "role": "rol",
    "org_type": "organisatie",
    "years_involved": "jaren",
    "fac_hours": "uren",
    "phase": "fase",
    "comment": "toelichting",
}


def responses(n: int = 6, seed: int = 1, wave: int = 2024) -> list[dict]:
    """Synthetic responses: personal data, answers (as indices/values) and a comment signed with a name.

    Row 2 has no consent; row 3 answers 'don't know' to the first item; items are 1..5 or None (don't know).
    """
    rng = random.Random(seed)
    out = []
    for i in range(n):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 3 + seed) % len(LAST)]
        started = dt.datetime(wave, 3, 12, 9, 0) + dt.timedelta(days=i, minutes=rng.randint(0, 600))
        duration = 300 + rng.randint(0, 900)
        items = {code: rng.randint(1, 5) for code in ITEMS}
        if i == 3:
            items[ITEMS[0]] = None
        out.append(
            {
                "email": f"{first.split()[0].lower()}.{last.replace(' ', '').lower()}{i}@school{seed}.nl",
                "name": f"{first} {last}",
                "token": f"tok{seed}x{i:04d}QZ",
                "ip": f"10.{seed}.{i}.77",
                "response_id": f"R_{seed}Ab{i:05d}xyz",
                "started": started,
                "submitted": started + dt.timedelta(seconds=duration),
                "duration": duration,
                "consent": i != 2,
                "route": list(ROUTES.values())[i % len(ROUTES)],
                "route_id": list(ROUTES)[i % len(ROUTES)],
                "role": i % 4,
                "org_type": i % 3,
                "phase": i % 5,
                "years": i % 7,
                "hours": round(1.5 + i * 0.7, 1),
                "items": items,
                "comment": f"Prima samenwerking, bel me op 06-1234567{i % 10}. Groet, {first} {last}"
                if i % 2 == 0
                else "",
            }
        )
    return out


def likert_text(value, lang: str = "nl") -> str:
    labels, dont_know = (LIKERT_NL, DONT_KNOW_NL) if lang == "nl" else (LIKERT_EN, DONT_KNOW_EN)
    return dont_know if value is None else labels[value - 1]


def option(code: str, index: int, lang: str = "nl") -> str:
    question = Q.questions[code]
    return (question.options_nl if lang == "nl" else question.options_en)[index]


def consent_text(r: dict, lang: str = "nl") -> str:
    return {("nl", True): "Ja", ("nl", False): "Nee", ("en", True): "Yes", ("en", False): "No"}[(lang, r["consent"])]


def wording(code: str, lang: str = "nl") -> str:
    thing = next((i for i in Q.items if i.code == code), None) or Q.questions[code]
    return thing.nl if lang == "nl" else thing.en


def expected_items(r: dict) -> dict:
    """What the harmonised table should hold for a response's items (None: missing)."""
    return {code: (r["items"][code] if r["consent"] else None) for code in ITEMS}


def write_text(path: Path, text: str, encoding: str = "utf-8", bom: bool = False, newline: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.replace("\r\n", "\n").replace("\n", newline).encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def csv_text(rows: list[list], delimiter: str = ",", quote_all: bool = False) -> str:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    )
    writer.writerows(rows)
    return buffer.getvalue()


# --- LimeSurvey -------------------------------------------------------------------------------------------


def write_limesurvey(
    path: Path, rows: list[dict], headings: str = "brackets", answers: str = "text", bom: bool = True
) -> Path:
    """LimeSurvey 'Export responses': headings `brackets` (REL[SQ001]), `underscore` (REL_SQ001) or `fulltext`;
    answers `text` (full answer texts) or `codes` (A1..A5, A6 = don't know, Y/N consent, A1.. for choices)."""
    meta = ["id", "submitdate", "lastpage", "startlanguage", "seed", "token", "startdate", "datestamp"]
    if headings == "fulltext":
        meta = [
            "Response ID",
            "Date submitted",
            "Last page",
            "Start language",
            "Seed",
            "Token",
            "Date started",
            "Date last action",
        ]
    header = (
        meta
        + [_lime_heading(c, headings) for c in LIME_QUESTIONS]
        + [_lime_heading(c, headings) for c in ITEMS]
        + ["interviewtime"]
    )
    body = []
    for i, r in enumerate(rows, 1):
        stamp = r["submitted"].strftime("%Y-%m-%d %H:%M:%S")
        line = [str(i), stamp, "4", "nl", str(1000 + i), r["token"], r["started"].strftime("%Y-%m-%d %H:%M:%S"), stamp]
        line += [_lime_answer(r, c, answers) for c in LIME_QUESTIONS]
        line += [_lime_item(r["items"][c], answers) for c in ITEMS]
        line += [f"{r['duration']:.2f}"]
        body.append(line)
    return write_text(path, csv_text([header] + body, quote_all=True), bom=bom)


def _lime_heading(code: str, style: str) -> str:
    if style == "fulltext":
        if code in LIME_CODES:
            return f"Hoe kijk je aan tegen de samenwerking? [{wording(code)}]"
        return wording(code)
    name = LIME_CODES.get(code) or LIME_QUESTIONS[code]
    return name.replace("[", "_").replace("]", "") if style == "underscore" else name


def _lime_item(value, answers: str) -> str:
    if answers == "codes":
        return "A6" if value is None else f"A{value}"
    return likert_text(value)


def _lime_answer(r: dict, code: str, answers: str) -> str:
    if code == "consent":
        return ("Y" if r["consent"] else "N") if answers == "codes" else consent_text(r)
    if code in ("role", "org_type", "phase"):
        return f"A{r[code] + 1}" if answers == "codes" else option(code, r[code])
    return {
        "partnership": r["route"],
        "years_involved": str(r["years"]),
        "fac_hours": str(r["hours"]),
        "comment": r["comment"],
    }[code]


LIME_CODE_LABEL_SETS = {
    "ls_likert": {"values": {k: [f"A{k}"] for k in range(1, 6)}, "missing": ["A6"]},
    "ls_consent": {"values": {"yes": ["Y"], "no": ["N"]}},
    **{
        f"ls_{code}": {"values": {o: [f"A{i}"] for i, o in enumerate(Q.questions[code].options_nl, 1)}}
        for code in ("role", "org_type", "phase")
    },
}
LIME_CODE_LABELS = {
    "likert": "ls_likert",
    "consent": "ls_consent",
    "role": "ls_role",
    "org_type": "ls_org_type",
    "phase": "ls_phase",
}


def limesurvey_settings(headings: str = "brackets", answers: str = "text", wave: int = 2024) -> dict:
    s = {
        "tool": "limesurvey",
        "wave": wave,
        "fields": {"respondent_id": "Token" if headings == "fulltext" else "token"},
    }
    if headings == "fulltext":
        s |= {"items_by_wording": True, "questions_by_wording": True}
    else:
        s |= {"items": dict(LIME_CODES), "questions": dict(LIME_QUESTIONS)}
    if answers == "codes":
        s["labels"] = dict(LIME_CODE_LABELS)
    return s


# --- Qualtrics --------------------------------------------------------------------------------------------

QUALTRICS_META = [
    ("StartDate", "Start Date", "startDate"),
    ("EndDate", "End Date", "endDate"),
    ("Status", "Response Type", "status"),
    ("IPAddress", "IP Address", "ipAddress"),
    ("Progress", "Progress", "progress"),
    ("Duration (in seconds)", "Duration (in seconds)", "duration"),
    ("Finished", "Finished", "finished"),
    ("RecordedDate", "Recorded Date", "recordedDate"),
    ("ResponseId", "Response ID", "_recordId"),
    ("RecipientLastName", "Recipient Last Name", "recipientLastName"),
    ("RecipientFirstName", "Recipient First Name", "recipientFirstName"),
    ("RecipientEmail", "Recipient Email", "recipientEmail"),
    ("ExternalReference", "External Data Reference", "externalDataReference"),
    ("LocationLatitude", "Location Latitude", "locationLatitude"),
    ("LocationLongitude", "Location Longitude", "locationLongitude"),
    ("DistributionChannel", "Distribution Channel", "distributionChannel"),
    ("UserLanguage", "User Language", "userLanguage"),
]
QUALTRICS_QUESTIONS = ["consent", "role", "org_type", "years_involved", "fac_hours", "phase", "comment"]


def write_qualtrics(
    path: Path,
    rows: list[dict],
    header_rows: int = 3,
    numeric: bool = False,
    bom: bool = True,
    newline: str = "\r\n",
    status: list | None = None,
) -> Path:
    """Qualtrics CSV download: codes, question texts and (unless header_rows=2) the ImportId row.
    numeric=True is 'Use numeric values' (Likert 1..5, 6 = don't know, consent 1/2, choices 1..n, Finished 1)."""
    codes, texts, imports = [], [], []
    for code, text, import_id in QUALTRICS_META:
        (
            codes.append(code),
            texts.append(text),
            imports.append(json.dumps({"ImportId": import_id}, separators=(",", ":"))),
        )
    for n, code in enumerate(QUALTRICS_QUESTIONS + ITEMS, 1):
        text = wording(code)
        if code in ITEMS:
            text = f"Hoe kijk je aan tegen de samenwerking? - {text}"
        codes.append(f"Q{n}"), texts.append(text), imports.append(json.dumps({"ImportId": f"QID{n}"}))
    codes.append("route"), texts.append("route"), imports.append(json.dumps({"ImportId": "route"}))
    body = []
    for i, r in enumerate(rows):
        stamp = r["submitted"].strftime("%Y-%m-%d %H:%M:%S")
        line = [
            r["started"].strftime("%Y-%m-%d %H:%M:%S"),
            stamp,
            (status or ["0" if numeric else "IP Address"] * len(rows))[i],
            r["ip"],
            "100",
            str(r["duration"]),
            "1" if numeric else "True",
            stamp,
            r["response_id"],
            r["name"].split(" ", 1)[1],
            r["name"].split(" ", 1)[0],
            r["email"],
            "",
            "51.6978",
            "5.3037",
            "email",
            "NL",
        ]
        line += [_qualtrics_answer(r, c, numeric) for c in QUALTRICS_QUESTIONS]
        line += [("6" if v is None else str(v)) if numeric else likert_text(v) for v in (r["items"][c] for c in ITEMS)]
        line.append(r["route_id"])
        body.append(line)
    header = [codes, texts, imports][:header_rows]
    return write_text(path, csv_text(header + body), bom=bom, newline=newline)


def _qualtrics_answer(r: dict, code: str, numeric: bool) -> str:
    if code == "consent":
        return ("1" if r["consent"] else "2") if numeric else consent_text(r)
    if code in ("role", "org_type", "phase"):
        return str(r[code] + 1) if numeric else option(code, r[code])
    return {"years_involved": str(r["years"]), "fac_hours": str(r["hours"]), "comment": r["comment"]}[code]


QUALTRICS_NUMERIC_LABEL_SETS = {
    "likert": {"missing": [6]},
    "q_consent": {"values": {"yes": [1], "no": [2]}},
    **{
        f"q_{code}": {"values": {o: [i] for i, o in enumerate(Q.questions[code].options_nl, 1)}}
        for code in ("role", "org_type", "phase")
    },
}
QUALTRICS_NUMERIC_LABELS = {"consent": "q_consent", "role": "q_role", "org_type": "q_org_type", "phase": "q_phase"}


def qualtrics_settings(numeric: bool = False, wave: int = 2024) -> dict:
    s = {
        "tool": "qualtrics",
        "wave": wave,
        "fields": {"respondent_id": "RecipientEmail"},
        "items_by_wording": True,
        "questions_by_wording": True,
        "questions": {"partnership": "route"},
    }
    if numeric:
        s["labels"] = dict(QUALTRICS_NUMERIC_LABELS)
    return s


# --- Microsoft Forms --------------------------------------------------------------------------------------

FORMS_META = {
    "nl": ["Id", "Begintijd", "Tijd van voltooien", "E-mail", "Naam", "Tijd van laatste wijziging"],
    "en": ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time"],
}
FORMS_QUESTIONS = ["partnership", "role", "org_type", "years_involved"]


def write_msforms(path: Path, rows: list[dict], lang: str = "nl", anonymous: set[int] = frozenset()) -> Path:
    """Forms 'Open in Excel': metadata headings in the account's language, a column per question, date cells."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Form1"
    codes = FORMS_QUESTIONS + ITEMS + ["fac_hours", "phase", "consent", "comment"]
    ws.append(FORMS_META[lang] + [wording(c, lang) for c in codes])
    for i, r in enumerate(rows):
        who = ("anonymous", None) if i in anonymous else (r["email"], r["name"])
        line = [i + 1, r["started"], r["submitted"], who[0], who[1], None]
        for c in codes:
            line.append(_forms_answer(r, c, lang))
        ws.append(line)
    for row in ws.iter_rows(min_row=2, min_col=2, max_col=3):
        for cell in row:
            cell.number_format = "m/d/yy h:mm:ss"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _forms_answer(r: dict, code: str, lang: str):
    if code in r["items"]:
        return likert_text(r["items"][code], lang)
    if code == "consent":
        return consent_text(r, lang)
    if code in ("role", "org_type", "phase"):
        return option(code, r[code], lang)
    return {
        "partnership": r["route"],
        "years_involved": str(r["years"]),
        "fac_hours": str(r["hours"]),
        "comment": r["comment"] or None,
    }[code]


def msforms_settings(lang: str = "nl", wave: int = 2024) -> dict:
    return {
        "tool": "msforms",
        "wave": wave,
        "fields": {"respondent_id": FORMS_META[lang][3]},
        "items_by_wording": True,
        "questions_by_wording": True,
    }


# --- SPSS -------------------------------------------------------------------------------------------------

SPSS_NAMES = {
    "consent": "toestemming",
    "partnership": "route",
    "role": "rol",
    "org_type": "organisatie",
    "years_involved": "jaren",
    "fac_hours": "uren",
    "phase": "fase",
    "comment": "opmerking",
}


def write_sav(
    path: Path, waves: dict[int, list[dict]], dont_know: float = 9, missing: str = "discrete", label_all: bool = True
) -> Path:
    """An evaluation office's .sav: all waves in one file (`jaar`), codes with value labels, e-mail as text.

    missing: `discrete` declares `dont_know` as user-missing, `range` declares 7 thru 9, `none` declares nothing.
    label_all=False labels only the Likert end points (1 and 5), as many SPSS files do.
    """
    records = []
    for wave, rows in waves.items():
        for i, r in enumerate(rows):
            rec = {
                "respnr": float(wave * 10000 + i),
                "jaar": float(wave),
                "email": r["email"],
                "startdatum": r["started"],
                "einddatum": r["submitted"],
                "duur": float(r["duration"]),
                "status": 1.0,
                "toestemming": 1.0 if r["consent"] else 2.0,
                "route": float(list(ROUTES).index(r["route_id"]) + 1),
                "rol": float(r["role"] + 1),
                "organisatie": float(r["org_type"] + 1),
                "jaren": float(r["years"]),
                "uren": float(r["hours"]),
                "fase": float(r["phase"] + 1),
                "opmerking": r["comment"],
            }
            for n, code in enumerate(ITEMS):
                rec[f"item{n + 1}"] = float(dont_know) if r["items"][code] is None else float(r["items"][code])
            records.append(rec)
    frame = pd.DataFrame(records)
    item_cols = [f"item{n + 1}" for n in range(len(ITEMS))]
    likert = {float(k): LIKERT_NL[k - 1] for k in range(1, 6)} if label_all else {1.0: LIKERT_NL[0], 5.0: LIKERT_NL[4]}
    likert[float(dont_know)] = "weet niet"
    value_labels = {
        "status": {1.0: "Volledig", 2.0: "Onvolledig"},
        "toestemming": {1.0: "Ja", 2.0: "Nee"},
        "route": {float(i): name for i, name in enumerate(ROUTES.values(), 1)},
        **{
            SPSS_NAMES[c]: {float(i): o for i, o in enumerate(Q.questions[c].options_nl, 1)}
            for c in ("role", "org_type", "phase")
        },
        **{c: likert for c in item_cols},
    }
    labels = {
        "respnr": "Respondentnummer",
        "jaar": "Meetjaar",
        "email": "E-mailadres",
        "startdatum": "Starttijd",
        "einddatum": "Eindtijd",
        "duur": "Invulduur (seconden)",
        "status": "Status vragenlijst",
        **{SPSS_NAMES[c]: wording(c) for c in SPSS_NAMES},
        **{f"item{n + 1}": wording(c) for n, c in enumerate(ITEMS)},
    }
    ranges = {}
    if missing == "discrete":
        ranges = {c: [float(dont_know)] for c in item_cols}
    elif missing == "range":
        ranges = {c: [{"lo": 7.0, "hi": 9.0}] for c in item_cols}
    path.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels=[labels[c] for c in frame.columns],
        variable_value_labels=value_labels,
        missing_ranges=ranges or None,
    )
    return path


def spss_settings() -> dict:
    return {
        "tool": "spss",
        "wave_column": "jaar",
        "items_by_wording": True,
        "questions_by_wording": True,
        "fields": {
            "respondent_id": "email",
            "submitted": "einddatum",
            "started": "startdatum",
            "duration": "duur",
            "completed": {"column": "status", "values": ["Volledig"]},
        },
    }


# --- Delimited (Google Forms, CSV saved from Dutch Excel) -------------------------------------------------


def write_google_forms(path: Path, rows: list[dict], timestamp: str = "Tijdstempel") -> Path:
    """Google Forms CSV: a timestamp column, the e-mail, one column per question text; UTF-8, ','."""
    codes = ["consent", "partnership", "role", "org_type", "years_involved"] + ITEMS + ["fac_hours", "phase", "comment"]
    header = [timestamp, "E-mailadres"] + [wording(c) for c in codes]
    body = [
        [r["submitted"].strftime("%Y/%m/%d %H:%M:%S"), r["email"]] + [_plain_answer(r, c, ".") for c in codes]
        for r in rows
    ]
    return write_text(path, csv_text([header] + body))


def write_dutch_excel_csv(path: Path, rows: list[dict]) -> Path:
    """A sheet saved as 'CSV (puntkomma gescheiden)' by Dutch Excel: cp1252, ';', decimal comma, d-m-yyyy H:MM."""
    codes = ["consent", "partnership", "role", "org_type", "years_involved", "fac_hours"] + ITEMS + ["phase", "comment"]
    header = ["Naam", "E-mailadres", "Ingevuld op"] + [wording(c) for c in codes]
    body = []
    for r in rows:
        when = f"{r['submitted'].day}-{r['submitted'].month}-{r['submitted'].year} {r['submitted'].hour}:{r['submitted'].minute:02d}"
        body.append([r["name"], r["email"], when] + [_plain_answer(r, c, ",") for c in codes])
    return write_text(path, csv_text([header] + body, delimiter=";"), encoding="cp1252", newline="\r\n")


def _plain_answer(r: dict, code: str, decimal: str) -> str:
    if code in r["items"]:
        return likert_text(r["items"][code])
    if code == "consent":
        return consent_text(r)
    if code in ("role", "org_type", "phase"):
        return option(code, r[code])
    return {
        "partnership": r["route"],
        "years_involved": str(r["years"]),
        "fac_hours": str(r["hours"]).replace(".", decimal),
        "comment": r["comment"],
    }[code]


def google_settings(wave: int = 2024) -> dict:
    return {
        "tool": "delimited",
        "wave": wave,
        "fields": {"respondent_id": "E-mailadres", "completed": "always"},
        "items_by_wording": True,
        "questions_by_wording": True,
    }


def dutch_excel_settings(wave: int = 2024) -> dict:
    return {
        "tool": "delimited",
        "wave": wave,
        "encoding": "cp1252",
        "delimiter": ";",
        "decimal": ",",
        "date_format": "%d-%m-%Y %H:%M",
        "fields": {"respondent_id": "E-mailadres", "submitted": "Ingevuld op", "completed": "always"},
        "items_by_wording": True,
        "questions_by_wording": True,
    }


# --- Registry and running ingestion -----------------------------------------------------------------------

REGISTRY_HEADER = [
    "partnership_id",
    "region",
    "name",
    "sector",
    "vmbo_school",
    "mbo_institution",
    "start_year",
    "funding_end_year",
    "stopped_year",
]


def registry_rows(region: str = REGISTRY_REGION, routes: dict = ROUTES) -> list[list[str]]:
    """Registry rows with the stray spaces real registries have."""
    return [
        [
            f" {pid}" if n == 1 else pid,
            f"{region} " if n == 2 else region,
            name,
            "Techniek",
            "Vmbo Test",
            "ROC Test",
            "2021",
            "2025",
            "2023" if n == 2 else "",
        ]
        for n, (pid, name) in enumerate(routes.items())
    ]


def write_registry(path: Path, rows: list[list[str]] | None = None, header: list[str] = REGISTRY_HEADER) -> Path:
    return write_text(path, csv_text([header] + (rows if rows is not None else registry_rows())))


def run_ingest(
    tmp_path: Path,
    export: Path,
    settings: dict,
    label_sets: dict | None = None,
    privacy: dict | None = None,
    registry: Path | None = None,
    region: str = REGION,
):
    """Ingest one file through the same function the workflow's ingest_file rule runs: (table, issues)."""
    registry = registry or write_registry(tmp_path / "registry.csv")
    unit = FileUnit.from_params(region, "test-file", export.name, settings)
    return read_export(
        export=str(export),
        unit=unit,
        region_spec={"registry_region": REGISTRY_REGION},
        questionnaire=str(QUESTIONNAIRE),
        registry=str(registry),
        label_sets=label_sets or {},
        privacy=privacy or {"use_deduce": False},
    )


def count_csv_records(path: Path, encoding: str = "utf-8-sig", delimiter: str = ",") -> int:
    """Records the csv module reads; an empty record (LimeSurvey ends its export with a blank line) holds no data."""
    with open(path, encoding=encoding, newline="") as handle:
        return sum(1 for record in csv.reader(handle, delimiter=delimiter) if record)


def count_xlsx_rows(path: Path) -> int:
    ws = openpyxl.load_workbook(path, read_only=True).active
    return sum(1 for row in ws.iter_rows(min_row=2, values_only=True) if any(v is not None for v in row))


def count_sav_rows(path: Path) -> int:
    _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    return meta.number_rows
