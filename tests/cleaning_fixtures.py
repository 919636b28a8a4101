"""Small, seeded raw exports and harmonised tables for the cleaning tests.

The export writers produce files the way the tools do (LimeSurvey: BOM, every field quoted, code
headings; Qualtrics: three header rows), with the column names of config/config.yaml's Helmond
and Den Bosch sources, so the tests run the real ingestion on them.
"""

from __future__ import annotations

import copy
import csv
import json
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from borgingsmonitor.core.pipeline import ingest_file
from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.core.registry import load_registry
from borgingsmonitor.ingest.schema import harmonised_columns
from borgingsmonitor.ingest.sources import FileUnit

ROOT = Path(__file__).resolve().parents[1]
QUESTIONNAIRE = ROOT / "config" / "questionnaire.yaml"
CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
SECRET = "cleaning-tests-secret"
PRIVACY = {"secret_file": None, "create_secret_if_missing": False, "use_deduce": False, "scrub_names": []}
Q = load_questionnaire(QUESTIONNAIRE)
LIKERT = list(Q.likert_labels_nl)

# Registry rows with the stray spaces real registries carry (ids, regions and names).
REGISTRY_CSV = """partnership_id,region,name,sector,vmbo_school,mbo_institution,start_year,funding_end_year,stopped_year
HEL-01,Helmond ,Route Mobiliteit & Transport Helmond,Mobiliteit & Transport,College A,College B,2020,2024,
 HEL-07,Helmond,Route ICT Helmond ,ICT,College C,College B,2021,2025,
HEL-09,Helmond,Route Zorg Deurne,Zorg,College D,College B,2023,2027,2025
DBO-02,Den Bosch ,Route Techniek Rosmalen,Techniek,College E,College F,2022,2026,
DBO-04, Den Bosch,Route Uiterlijke Verzorging Boxtel,Uiterlijke Verzorging,College G,College F,2019,2023,
"""
START_YEAR = {"HEL-01": 2020, "HEL-07": 2021, "HEL-09": 2023, "DBO-02": 2022, "DBO-04": 2019}


def write_registry(folder: Path) -> Path:
    path = folder / "registry" / "partnerships.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(REGISTRY_CSV, encoding="utf-8")
    return path


def source_settings(region: str) -> dict:
    """The first source of `region` in config/config.yaml, without its files."""
    source = copy.deepcopy(CONFIG["regions"][region]["sources"][0])
    source.pop("files")
    return source


def region_spec(region: str) -> dict:
    return {k: copy.deepcopy(v) for k, v in CONFIG["regions"][region].items() if k != "sources"}


def fieldwork(regions=("helmond", "den-bosch")) -> dict:
    return {r: copy.deepcopy(CONFIG["regions"][r]["fieldwork"]) for r in regions}


def answers(seed: int) -> list[str]:
    """Twenty seeded Likert labels (with an occasional 'Weet niet / n.v.t.')."""
    rng = np.random.default_rng(seed)
    labels = [LIKERT[i] for i in rng.integers(0, 5, size=len(Q.item_codes))]
    if seed % 3 == 0:
        labels[seed % len(labels)] = "Weet niet / n.v.t."
    return labels


# --- LimeSurvey -------------------------------------------------------------------------------

def lime_columns() -> list[str]:
    s = source_settings("helmond")
    meta = ["id", "submitdate", "lastpage", "startlanguage", "seed", "token", "startdate", "datestamp", "ipaddr"]
    questions = [s["questions"][c] for c in ("consent", "partnership", "role", "org_type", "years_involved")]
    items = [s["items"][c] for c in Q.item_codes]
    tail = [s["questions"][c] for c in ("fac_hours", "phase", "comment")] + ["interviewtime"]
    return meta + questions + items + tail


def lime_response(token: str, route: str, submitted: str | None, *, seconds: float = 600, consent: str = "Ja",
                  seed: int = 0, role: str = "Docent", org: str = "mbo", years: str = "2", hours: str = "3",
                  phase: str = "Uitvoering", comment: str = "", ip: str = "10.1.2.3") -> dict:
    """One LimeSurvey response; submitted=None is a response the respondent never submitted."""
    s = source_settings("helmond")
    when = datetime.fromisoformat(submitted) if submitted else datetime(2024, 3, 20, 10, 0, 0)
    start = when - timedelta(seconds=seconds)
    row = {
        "id": "", "submitdate": submitted or "", "lastpage": "4" if submitted else "2", "startlanguage": "nl",
        "seed": str(1000 + seed), "token": token, "startdate": start.isoformat(sep=" "),
        "datestamp": (submitted or start.isoformat(sep=" ")), "ipaddr": ip,
        "interviewtime": f"{seconds:.2f}",
    }
    q = s["questions"]
    row |= {q["consent"]: consent, q["partnership"]: route, q["role"]: role, q["org_type"]: org,
            q["years_involved"]: years, q["fac_hours"]: hours, q["phase"]: phase, q["comment"]: comment}
    row |= {s["items"][code]: label for code, label in zip(Q.item_codes, answers(seed))}
    return row


def write_limesurvey(path: Path, rows: list[dict]) -> Path:
    columns = lime_columns()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(columns)
        for i, row in enumerate(rows, start=1):
            writer.writerow([str(i) if c == "id" else row.get(c, "") for c in columns])
    return path


# --- Qualtrics ----------------------------------------------------------------------------------

QUALTRICS_META = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
                  "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
                  "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage"]
QUALTRICS_QUESTIONS = ["consent", "role", "org_type", "years_involved", *Q.item_codes, "fac_hours", "phase", "comment"]


def qualtrics_response(email: str, route: str, recorded: str, *, seconds: float = 600, finished: bool = True,
                       status: str = "IP Address", channel: str = "email", consent: str = "Ja", seed: int = 0,
                       hours: str = "3", years: str = "2", comment: str = "", last_name: str = "Jansen",
                       first_name: str = "Fleur") -> dict:
    when = datetime.fromisoformat(recorded)
    start = when - timedelta(seconds=seconds)
    row = {
        "StartDate": start.isoformat(sep=" "), "EndDate": when.isoformat(sep=" "), "Status": status,
        "IPAddress": "89.1.2.3", "Progress": "100" if finished else "40", "Duration (in seconds)": f"{seconds:.0f}",
        "Finished": "True" if finished else "False", "RecordedDate": recorded, "ResponseId": f"R_test{seed:04d}",
        "RecipientLastName": last_name, "RecipientFirstName": first_name, "RecipientEmail": email,
        "ExternalReference": "", "LocationLatitude": "51.68", "LocationLongitude": "5.30",
        "DistributionChannel": channel, "UserLanguage": "NL", "route": route,
    }
    values = {"consent": consent, "role": "Teamleider", "org_type": "vmbo", "years_involved": years,
              "fac_hours": hours, "phase": "Opstart", "comment": comment}
    values |= dict(zip(Q.item_codes, answers(seed)))
    row |= {f"Q{i}": values[code] for i, code in enumerate(QUALTRICS_QUESTIONS, start=1)}
    return row


def write_qualtrics(path: Path, rows: list[dict]) -> Path:
    wording = {i.code: i.nl for i in Q.items} | {c: x.nl for c, x in Q.questions.items()}
    codes = QUALTRICS_META + [f"Q{i}" for i in range(1, len(QUALTRICS_QUESTIONS) + 1)] + ["route"]
    texts = QUALTRICS_META + [wording[c] for c in QUALTRICS_QUESTIONS] + ["route"]
    imports = [json.dumps({"ImportId": c}) for c in codes]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerows([codes, texts, imports])
        for row in rows:
            writer.writerow([row.get(c, "") for c in codes])
    return path


# --- ingestion ----------------------------------------------------------------------------------

def ingest(folder: Path, region: str, relative: str, wave: int, registry: Path, **overrides):
    """Run the real ingestion on one export written under `folder`."""
    settings = source_settings(region) | {"wave": wave} | overrides
    unit = FileUnit.from_params(region, relative.replace("/", "-").replace(".", "-"), relative, settings)
    return ingest_file(str(folder / relative), unit, region_spec(region), str(QUESTIONNAIRE), str(registry),
                       CONFIG.get("label_sets", {}), PRIVACY)


# --- harmonised tables built directly -----------------------------------------------------------

def harmonised_rows(rows: list[dict]) -> pd.DataFrame:
    """A harmonised table (the schema's columns and dtypes) from a few hand-written rows.

    Each row needs region, wave, source_file, source_row; everything else has a harmless default:
    a complete, consented, identified, in-window response of 600 s to HEL-07.
    """
    columns = harmonised_columns(Q)
    records = []
    for i, row in enumerate(rows):
        base = {
            "tool": "limesurvey", "submitted": pd.Timestamp("2024-03-20 10:00"), "completed": True,
            "test_marker": False, "duration_s": 600.0, "consent": "yes", "respondent_key": f"{i:020x}",
            "partnership_value": "Route ICT Helmond", "partnership_id": "HEL-07", "role": "Docent",
            "org_type": "mbo", "phase": "Uitvoering", "years_involved": 2.0, "fac_hours": 3.0, "comment": None,
        } | {code: 3 for code in Q.item_codes}
        records.append(base | row)
    return typed(pd.DataFrame(records, columns=columns))


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a frame with the harmonised columns the schema's dtypes."""
    out = frame.copy()
    out["wave"] = out["wave"].astype("int64")
    out["source_row"] = out["source_row"].astype("int64")
    out["submitted"] = pd.to_datetime(out["submitted"]).astype("datetime64[us]")
    for col in ("completed", "test_marker"):
        out[col] = out[col].astype("boolean")
    for col in ("duration_s", "years_involved", "fac_hours"):
        out[col] = out[col].astype("Float64")
    for col in ("region", "source_file", "tool"):
        out[col] = out[col].astype(str)
    for col in ("consent", "respondent_key", "partnership_value", "partnership_id", "role", "org_type", "phase", "comment"):
        out[col] = out[col].astype("string")
    for code in Q.item_codes:
        out[code] = out[code].astype("Int64")
    return out


def registry_frame() -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        return load_registry(write_registry(Path(tmp)))
