"""Synthetic raw EXPORTS at any size: every supported tool's file format, traps with known fates, a known true model.

The analysed responses and the true model come from `simulate.simulate_clean` (and the matching
`simulate_registry`); this module adds the rows cleaning must exclude (no consent, incomplete,
duplicate, test, speeder, unknown partnership) and the answers it must set missing (out-of-range
and non-numeric numbers), and writes everything out as each region's tool would:

- limesurvey: UTF-8 CSV with BOM, every field quoted, CRLF, code headings (REL[SQ001]);
- qualtrics: CSV with BOM and three header rows (codes, question texts, ImportId JSON);
- msforms: an xlsx workbook with date cells (openpyxl is slow: few regions use it);
- spss: .sav with value labels, user-missing 9 for "weet niet", the wave in a column;
- delimited: a sheet saved by Dutch Excel: cp1252, ';', decimal comma, d-m-yyyy H:MM.

Next to the exports: the registry CSV, a copy of the questionnaire, a config.yaml the real
workflow runs on, truth.json (the true model) and fates.parquet (the expected fate of every raw row).
Same arguments and seed => byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.synthetic.simulate import simulate_clean, simulate_registry

REPO = Path(__file__).resolve().parents[3]
QUESTIONNAIRE = REPO / "config" / "questionnaire.yaml"
BASE_CONFIG = REPO / "config" / "config.yaml"

TOOLS = ("limesurvey", "qualtrics", "msforms", "spss", "delimited")
COMMON_TOOLS = ("limesurvey", "qualtrics", "delimited")
EXCLUSIONS = ("no_consent", "incomplete", "duplicate", "test", "speeder", "unknown_partnership")
VALUE_TRAPS = ("out_of_range", "not_a_number")
DONT_KNOW = "Weet niet / n.v.t."
SPSS_DONT_KNOW = 9.0
COMMENTS = (
    "Goede samenwerking, maar te weinig tijd.",
    "Het wekelijkse overleg helpt echt.",
    "Na de subsidie is het onzeker hoe we verder gaan.",
    "Meer contact met het bestuur nodig.",
    "Neem gerust contact op via j.devries@school.example.nl voor meer informatie.",
    "Bel me op 06-12345678 als er vragen zijn.",
    "Mooie resultaten dit jaar! Met vriendelijke groet, Fleur Vermeulen",
    "Onze teamleider (tel. 0612345678) weet er meer van.",
    "Contact loopt via info@partner.example.nl en dat werkt goed.",
    "Het café-overleg met de collega's is een succes.",
)
COMMENT_RATE = 0.03
LIME_META = ["id", "submitdate", "lastpage", "startlanguage", "seed", "token", "startdate", "datestamp"]
LIME_QUESTIONS = {
    "consent": "toestemming",
    "partnership": "route",
    "role": "rol",
    "org_type": "organisatie",
    "years_involved": "jaren",
}
QUALTRICS_META = [
    ("StartDate", "Start Date", {"ImportId": "startDate", "timeZone": "Europe/Amsterdam"}),
    ("EndDate", "End Date", {"ImportId": "endDate", "timeZone": "Europe/Amsterdam"}),
    ("Status", "Response Type", {"ImportId": "status"}),
    ("IPAddress", "IP Address", {"ImportId": "ipAddress"}),
    ("Progress", "Progress", {"ImportId": "progress"}),
    ("Duration (in seconds)", "Duration (in seconds)", {"ImportId": "duration"}),
    ("Finished", "Finished", {"ImportId": "finished"}),
    ("RecordedDate", "Recorded Date", {"ImportId": "recordedDate", "timeZone": "Europe/Amsterdam"}),
    ("ResponseId", "Response ID", {"ImportId": "_recordId"}),
    ("RecipientLastName", "Recipient Last Name", {"ImportId": "recipientLastName"}),
    ("RecipientFirstName", "Recipient First Name", {"ImportId": "recipientFirstName"}),
    ("RecipientEmail", "Recipient Email", {"ImportId": "recipientEmail"}),
    ("ExternalReference", "External Data Reference", {"ImportId": "externalDataReference"}),
    ("LocationLatitude", "Location Latitude", {"ImportId": "locationLatitude"}),
    ("LocationLongitude", "Location Longitude", {"ImportId": "locationLongitude"}),
    ("DistributionChannel", "Distribution Channel", {"ImportId": "distributionChannel"}),
    ("UserLanguage", "User Language", {"ImportId": "userLanguage"}),
]
FORMS_META = ["Id", "Begintijd", "Tijd van voltooien", "E-mail", "Naam", "Tijd van laatste wijziging"]
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


@dataclass
class SynthExports:
    root: Path
    config: Path
    registry: Path
    truth: dict
    fates: pd.DataFrame  # source_file, source_row, region, wave, tool, fate, value_trap, sim_row (-1 for a trap row)
    files: dict  # relative path -> (tool, wave)


def region_tools(n_regions: int) -> list[str]:
    """The first five regions use one tool each; later ones mostly the CSV tools, every tenth xlsx or sav."""
    tools = []
    for i in range(n_regions):
        if i < len(TOOLS):
            tools.append(TOOLS[i])
        elif i % 20 == 9:
            tools.append("msforms")
        elif i % 20 == 19:
            tools.append("spss")
        else:
            tools.append(COMMON_TOOLS[i % 3])
    return tools


def fieldwork(region_index: int, wave: int) -> tuple[dt.date, dt.date]:
    start = dt.date(wave, 2, 1) + dt.timedelta(days=7 * (region_index % 10))
    return start, start + dt.timedelta(days=34)


def make_exports(
    out,
    n_responses: int,
    n_regions: int = 40,
    n_waves: int = 7,
    seed: int = 1,
    n_partnerships: int | None = None,
    last_wave: int = 2025,
    trap_rate: float = 0.02,
    use_deduce: bool = True,
) -> SynthExports:
    """Write a complete synthetic input folder (exports, registry, config) under `out`."""
    out = Path(out)
    waves = tuple(range(last_wave - n_waves + 1, last_wave + 1))
    n_partnerships = n_partnerships or 8 * n_regions
    clean, truth = simulate_clean(n_responses, n_regions, n_partnerships, waves, seed)
    registry = _registry(simulate_registry(n_regions, n_partnerships, waves, seed))
    slugs = sorted(clean["region"].unique()) if len(clean) else []
    all_slugs = [f"regio-{i + 1:0{max(2, len(str(n_regions)))}d}" for i in range(n_regions)]
    tools = dict(zip(all_slugs, region_tools(n_regions)))
    rng = np.random.default_rng([seed, 3])
    rows = _raw_rows(clean, registry, tools, all_slugs, rng, trap_rate)
    rows = _order_files(rows, tools, rng)
    files = {}
    for (region, wave), part in rows.groupby(["region", "wave"], sort=True):
        path = out / "exports" / part["source_file"].iloc[0]
        path.parent.mkdir(parents=True, exist_ok=True)
        WRITERS[tools[region]](path, part.reset_index(drop=True), registry)
        files[part["source_file"].iloc[0]] = (tools[region], int(wave))
    (out / "exports" / "registry").mkdir(parents=True, exist_ok=True)
    registry_path = out / "exports" / "registry" / "partnerships.csv"
    _write_registry(registry_path, registry)
    (out / "config").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(QUESTIONNAIRE, out / "config" / "questionnaire.yaml")
    # the base config's report texts (config/report/...) are relative to the run folder too
    shutil.copytree(REPO / "config" / "report", out / "config" / "report", dirs_exist_ok=True)
    config_path = out / "config.yaml"
    config = build_config(files, all_slugs, tools, waves, use_deduce)
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    fates = (
        rows[["source_file", "source_row", "region", "wave", "tool", "fate", "value_trap", "sim_row"]]
        .sort_values(["source_file", "source_row"])
        .reset_index(drop=True)
    )
    fates.to_parquet(out / "fates.parquet", index=False)
    truth_out = _truth_json(truth, n_responses, seed, waves, fates, slugs)
    (out / "truth.json").write_text(json.dumps(truth_out, indent=1, sort_keys=True), encoding="utf-8")
    return SynthExports(out, config_path, registry_path, truth_out, fates, files)


def _truth_json(truth: dict, n: int, seed: int, waves, fates: pd.DataFrame, slugs) -> dict:
    counts = fates["fate"].value_counts().sort_index()
    return {
        "formula": truth["formula"],
        "intercept": truth["intercept"],
        "effects": truth["effects"],
        "wave": {str(k): v for k, v in truth["wave"].items()},
        "sigma2": truth["sigma2"],
        "residual_observed": truth["residual_observed"],
        "n_analysed": int(n),
        "n_raw_rows": int(len(fates)),
        "fates": {k: int(v) for k, v in counts.items()},
        "value_traps": {k: int(v) for k, v in fates["value_trap"].value_counts().sort_index().items()},
        "seed": seed,
        "waves": list(waves),
        "regions_with_responses": list(slugs),
    }


def _registry(reg: pd.DataFrame) -> pd.DataFrame:
    """simulate_registry's partnerships with names unique within a region (answers resolve by name)."""
    reg = reg.copy()
    number = reg.groupby("region").cumcount() + 1
    reg["name"] = reg["name"] + " " + number.astype(str)
    return reg


def _write_registry(path: Path, reg: pd.DataFrame) -> None:
    """The registry as the programme office keeps it, stray spaces included."""
    out = reg.copy()
    out["partnership_id"] = np.where(np.arange(len(out)) % 7 == 3, " " + out["partnership_id"], out["partnership_id"])
    out["region"] = np.where(np.arange(len(out)) % 11 == 5, out["region"] + " ", out["region"])
    out.to_csv(path, index=False, lineterminator="\n")


def _raw_rows(clean: pd.DataFrame, registry: pd.DataFrame, tools: dict, slugs, rng, trap_rate: float) -> pd.DataFrame:
    """Every raw row in a tool-neutral form: the analysed rows plus trap rows, each with its expected fate."""
    n = len(clean)
    base = pd.DataFrame(
        {
            "region": clean["region"].to_numpy(dtype=object),
            "wave": clean["wave"].to_numpy(dtype=np.int64),
            "partnership_id": clean["partnership_id"].to_numpy(dtype=object),
            "identity": (clean["respondent_key"] + "@" + clean["region"] + ".example.nl").to_numpy(dtype=object),
            "role": clean["role"].to_numpy(dtype=object),
            "org_type": clean["org_type"].to_numpy(dtype=object),
            "phase": clean["phase"].to_numpy(dtype=object),
            "years": clean["years_involved"].astype("float64").to_numpy(),
            "hours": clean["fac_hours"].to_numpy(dtype=float),
        }
    )
    base["tool"] = base["region"].map(tools)
    base["sim_row"] = np.arange(n, dtype=np.int64)
    for code in load_questionnaire(QUESTIONNAIRE).item_codes:
        base[code] = clean[code].to_numpy(dtype="float64", na_value=np.nan)
    base["comment"] = _comments(rng, n)
    base["consent"] = True
    base["complete"] = True
    base["marked_test"] = False
    base["route"] = base["partnership_id"].map(registry.set_index("partnership_id")["name"])
    base["fate"] = "analysed"
    base["value_trap"] = ""
    base["hours_text"] = pd.Series(base["hours"]).map(lambda v: "" if v != v else f"{v:.1f}").to_numpy(dtype=object)
    region_index = {s: i for i, s in enumerate(slugs)}
    start = _window_start(base, region_index)
    base["submitted"] = start + pd.to_timedelta(rng.uniform(86400, 34 * 86400, n).round(), unit="s")
    base["duration"] = rng.gamma(4.0, 120.0, n).round() + 90
    base = _value_traps(base, rng, trap_rate / 4)
    traps = _trap_rows(base, rng, int(round(trap_rate * n)), region_index)
    return pd.concat([base, traps], ignore_index=True)


def _window_start(rows: pd.DataFrame, region_index: dict) -> pd.Series:
    idx = rows["region"].map(region_index).to_numpy()
    days = (idx % 10) * 7
    year_start = pd.to_datetime(rows["wave"].astype(str) + "-02-01").to_numpy()
    return pd.Series(year_start + pd.to_timedelta(days, unit="D").to_numpy() + np.timedelta64(8, "h"), index=rows.index)


def _comments(rng, n: int) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    has = rng.random(n) < COMMENT_RATE
    out[has] = np.asarray(COMMENTS, dtype=object)[rng.integers(0, len(COMMENTS), int(has.sum()))]
    return out


def _value_traps(base: pd.DataFrame, rng, rate: float) -> pd.DataFrame:
    """Out-of-range hours (400) and text where a number belongs ('ongeveer 4'): missing, listed, row stays."""
    hit = rng.random(len(base)) < rate
    text_ok = base["tool"].ne("spss").to_numpy()  # a numeric SPSS variable cannot hold text
    kind = np.where(text_ok & (rng.random(len(base)) < 0.5), "not_a_number", "out_of_range")
    base.loc[hit, "value_trap"] = kind[hit]
    base.loc[hit, "hours_text"] = np.where(kind[hit] == "out_of_range", "400.0", "ongeveer 4")
    base.loc[hit, "hours"] = np.where(kind[hit] == "out_of_range", 400.0, np.nan)
    return base


def _trap_rows(base: pd.DataFrame, rng, n_traps: int, region_index: dict) -> pd.DataFrame:
    """Copies of random analysed rows turned into rows cleaning must exclude, one fate each."""
    if n_traps == 0 or base.empty:
        return base.iloc[:0].copy()
    pick = np.sort(rng.choice(len(base), size=n_traps, replace=n_traps > len(base)))
    traps = base.iloc[pick].reset_index(drop=True).copy()
    traps["value_trap"] = ""
    traps["sim_row"] = -1
    traps["hours_text"] = traps["hours"].map(lambda v: "" if v != v or v > 40 else f"{v:.1f}")
    fate = np.asarray(EXCLUSIONS, dtype=object)[rng.integers(0, len(EXCLUSIONS), n_traps)]
    tool = traps["tool"].to_numpy()
    no_marker = np.isin(tool, ["msforms", "delimited"])  # these tools export only finished responses
    fate = np.where((fate == "incomplete") & no_marker, "no_consent", fate)
    fate = np.where((fate == "speeder") & (tool == "delimited"), "test", fate)  # no duration recorded
    traps["fate"] = fate
    fresh = fate != "duplicate"
    traps.loc[fresh, "identity"] = [
        f"extra{i:07d}@{r}.example.nl" for i, r in zip(np.flatnonzero(fresh), traps.loc[fresh, "region"])
    ]
    upper = (fate == "duplicate") & (rng.random(n_traps) < 0.5)
    traps.loc[upper, "identity"] = traps.loc[upper, "identity"].str.upper() + " "
    start = _window_start(traps, region_index)
    # a duplicate is an earlier, complete submission of the same person in the same wave
    dup = fate == "duplicate"
    traps.loc[dup, "submitted"] = start[dup] + pd.to_timedelta(
        rng.uniform(600, 80000, int(dup.sum())).round(), unit="s"
    )
    traps.loc[fate == "no_consent", "consent"] = False
    traps.loc[fate == "incomplete", "complete"] = False
    test = fate == "test"
    preview = test & (tool == "qualtrics") & (rng.random(n_traps) < 0.5)
    traps.loc[test & ~preview, "submitted"] = start[test & ~preview] - pd.to_timedelta(
        rng.integers(2, 20, int((test & ~preview).sum())), unit="D"
    )
    traps.loc[preview, "marked_test"] = True
    speed = fate == "speeder"
    traps.loc[speed, "duration"] = rng.integers(8, 55, int(speed.sum())).astype(float)
    unknown = fate == "unknown_partnership"
    traps.loc[unknown, "route"] = [f"Route Onbekend {i}" for i in range(int(unknown.sum()))]
    traps.loc[unknown, "partnership_id"] = "R00-00"
    return traps


def _order_files(rows: pd.DataFrame, tools: dict, rng) -> pd.DataFrame:
    """Name each row's file and give rows their place in it (the order of submission, as tools export)."""
    rows = rows.copy()
    rows["source_file"] = [_file_path(r, int(w), tools[r]) for r, w in zip(rows["region"], rows["wave"])]
    rows["_tiebreak"] = rng.random(len(rows))
    rows = rows.sort_values(["source_file", "submitted", "_tiebreak"], kind="stable").reset_index(drop=True)
    rows["source_row"] = rows.groupby("source_file").cumcount().astype(np.int64)
    rows["started"] = rows["submitted"] - pd.to_timedelta(rows["duration"], unit="s")
    return rows.drop(columns="_tiebreak")


def _file_path(region: str, wave: int, tool: str) -> str:
    survey_id = sum(ord(c) * (i + 1) for i, c in enumerate(f"{region}{wave}")) * 7919 % 10**6
    name = {
        "limesurvey": f"{wave}/results-survey{survey_id:06d}.csv",
        "qualtrics": f"Monitor DLR {region} {wave}_April 5, {wave}_12.16.csv",
        "msforms": f"Monitor doorlopende leerroutes {region} {wave}(1-n).xlsx",
        "spss": f"DLR_{region}_monitor_{wave}_def.sav",
        "delimited": f"monitor_{region}_{wave}.csv",
    }[tool]
    return f"{region}/{name}"


# --- the tools' layouts ---------------------------------------------------------------------------------------


def _q():
    return load_questionnaire(QUESTIONNAIRE)


def _likert(values: pd.Series, labels) -> np.ndarray:
    lut = np.asarray([DONT_KNOW, *labels], dtype=object)
    v = values.to_numpy(dtype=float)
    return lut[np.where(np.isnan(v), 0, v).astype(int)]


def _stamp(values: pd.Series, fmt: str = "%Y-%m-%d %H:%M:%S") -> pd.Series:
    return pd.Series(values).dt.strftime(fmt)


def _years_text(rows: pd.DataFrame) -> np.ndarray:
    return rows["years"].map(lambda v: "" if v != v else str(int(v))).to_numpy(dtype=object)


def write_limesurvey(path: Path, rows: pd.DataFrame, registry: pd.DataFrame) -> None:
    q = _q()
    codes = {code: f"{code[:3].upper()}[SQ{n:03d}]" for s, cs in q.scales.items() for n, code in enumerate(cs, 1)}
    submitted = _stamp(rows["submitted"]).where(rows["complete"], "")
    frame = {
        "id": (rows["source_row"] + 1).astype(str),
        "submitdate": submitted,
        "lastpage": np.where(rows["complete"], "4", "2"),
        "startlanguage": "nl",
        "seed": (rows["source_row"] * 7919 % 2**31).astype(str),
        "token": rows["identity"].str.split("@").str[0],
        "startdate": _stamp(rows["started"]),
        "datestamp": _stamp(rows["submitted"]),
        "toestemming": np.where(rows["consent"], "Ja", "Nee"),
        "route": rows["route"],
        "rol": rows["role"],
        "organisatie": rows["org_type"],
        "jaren": _years_text(rows),
    }
    for code in q.item_codes:
        frame[codes[code]] = _likert(rows[code], q.likert_labels_nl)
    frame["uren"] = rows["hours_text"]
    frame["fase"] = rows["phase"]
    frame["toelichting"] = rows["comment"]
    frame["interviewtime"] = rows["duration"].map(lambda d: f"{d:.2f}")
    pd.DataFrame(frame).to_csv(path, index=False, quoting=csv.QUOTE_ALL, encoding="utf-8-sig", lineterminator="\r\n")


def write_qualtrics(path: Path, rows: pd.DataFrame, registry: pd.DataFrame) -> None:
    q = _q()
    codes, texts, imports = [], [], []
    for code, text, import_id in QUALTRICS_META:
        codes.append(code), texts.append(text), imports.append(json.dumps(import_id, separators=(",", ":")))
    questions = [("consent", None), ("role", None), ("org_type", None), ("years_involved", None)]
    groups = {
        "REL": "Hoe kijk je aan tegen de relatie met de partnerschool?",
        "FAC": "Hoe is de samenwerking gefaciliteerd?",
        "PRO": "Hoe verloopt het proces van de samenwerking?",
        "ORG": "Hoe is de samenwerking geborgd in je eigen organisatie?",
        "DUR": "Hoe kijk je naar de toekomst van de samenwerking?",
    }
    frame = {
        "StartDate": _stamp(rows["started"]),
        "EndDate": _stamp(rows["submitted"]),
        "Status": np.where(rows["marked_test"], "Survey Preview", "IP Address"),
        "IPAddress": "10.0." + (rows["source_row"] % 250).astype(str) + ".7",
        "Progress": np.where(rows["complete"], "100", "60"),
        "Duration (in seconds)": rows["duration"].astype(int).astype(str),
        "Finished": np.where(rows["complete"], "True", "False"),
        "RecordedDate": _stamp(rows["submitted"]),
        "ResponseId": "R_" + rows["source_row"].astype(str).str.zfill(9),
        "RecipientLastName": "Achternaam" + (rows["source_row"] % 97).astype(str),
        "RecipientFirstName": "Voornaam",
        "RecipientEmail": rows["identity"],
        "ExternalReference": "",
        "LocationLatitude": "51.6978",
        "LocationLongitude": "5.3037",
        "DistributionChannel": np.where(rows["marked_test"], "preview", "email"),
        "UserLanguage": "NL",
    }
    n = 0
    answer = {
        "consent": np.where(rows["consent"], "Ja", "Nee"),
        "role": rows["role"],
        "org_type": rows["org_type"],
        "years_involved": _years_text(rows),
    }
    for code, _ in questions:
        n += 1
        codes.append(f"Q{n}"), texts.append(q.questions[code].nl), imports.append(json.dumps({"ImportId": f"QID{n}"}))
        frame[f"Q{n}"] = answer[code]
    for scale, items in q.scales.items():
        n += 1
        for j, code in enumerate(items, 1):
            item = next(i for i in q.items if i.code == code)
            (
                codes.append(f"Q{n}_{j}"),
                texts.append(f"{groups[scale]} - {item.nl}"),
                imports.append(json.dumps({"ImportId": f"QID{n}_{j}"})),
            )
            frame[f"Q{n}_{j}"] = _likert(rows[code], q.likert_labels_nl)
        if scale == "FAC":
            n += 1
            (
                codes.append(f"Q{n}"),
                texts.append(q.questions["fac_hours"].nl),
                imports.append(json.dumps({"ImportId": f"QID{n}_TEXT"})),
            )
            frame[f"Q{n}"] = rows["hours_text"]
    for code, column in (("phase", rows["phase"]), ("comment", rows["comment"])):
        n += 1
        codes.append(f"Q{n}"), texts.append(q.questions[code].nl), imports.append(json.dumps({"ImportId": f"QID{n}"}))
        frame[f"Q{n}"] = column
    codes.append("route"), texts.append("route"), imports.append(json.dumps({"ImportId": "route"}))
    frame["route"] = rows["partnership_id"].where(rows["fate"] != "unknown_partnership", rows["route"])
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows([codes, texts, imports])
        pd.DataFrame(frame).to_csv(handle, index=False, header=False, lineterminator="\r\n")


def write_msforms(path: Path, rows: pd.DataFrame, registry: pd.DataFrame) -> None:
    import openpyxl

    q = _q()
    codes = (
        ["partnership", "role", "org_type", "years_involved"]
        + q.item_codes
        + ["fac_hours", "phase", "consent", "comment"]
    )
    wording = {i.code: i.nl for i in q.items} | {c: x.nl for c, x in q.questions.items()}
    columns = {
        "partnership": rows["route"].to_numpy(dtype=object),
        "role": rows["role"].to_numpy(dtype=object),
        "org_type": rows["org_type"].to_numpy(dtype=object),
        "years_involved": _years_text(rows),
        "fac_hours": rows["hours_text"].to_numpy(dtype=object),
        "phase": rows["phase"].to_numpy(dtype=object),
        "consent": np.where(rows["consent"], "Ja", "Nee").astype(object),
        "comment": rows["comment"].to_numpy(dtype=object),
    }
    for code in q.item_codes:
        columns[code] = _likert(rows[code], q.likert_labels_nl)
    started = rows["started"].to_numpy().astype("datetime64[s]").astype(object)
    submitted = rows["submitted"].to_numpy().astype("datetime64[s]").astype(object)
    email = rows["identity"].to_numpy(dtype=object)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Form1")
    sheet.append(FORMS_META + [wording[c] for c in codes])
    body = [columns[c] for c in codes]
    for i in range(len(rows)):
        values = [None if (isinstance(col[i], str) and col[i] == "") else col[i] for col in body]
        sheet.append([i + 1, started[i], submitted[i], email[i], f"Deelnemer {i + 1}", None, *values])
    book.save(path)
    _fix_zip_times(path)


def _fix_zip_times(path: Path) -> None:
    """openpyxl stamps the zip members and docProps with the current time: rewrite both for identical files."""
    import re
    import zipfile

    fixed = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", b"2025-01-01T00:00:00Z", data)
            member = zipfile.ZipInfo(info.filename, date_time=(2025, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(member, data)
    fixed.replace(path)


def write_spss(path: Path, rows: pd.DataFrame, registry: pd.DataFrame) -> None:
    import pyreadstat

    q = _q()
    slug = rows["region"].iloc[0]
    routes = list(registry.loc[registry["region"] == f"Regio {slug.split('-', 1)[1]}", "name"]) + ["Route Onbekend"]
    code_of = {name: float(i) for i, name in enumerate(routes, 1)}
    route_code = rows["route"].map(lambda r: code_of.get(r, float(len(routes))))
    options = {c: list(q.questions[c].options_nl) for c in ("role", "org_type", "phase")}
    frame = {
        "respnr": (rows["wave"] * 100000 + rows["source_row"] + 1).astype(float),
        "jaar": rows["wave"].astype(float),
        "email": rows["identity"].astype(str),
        "startdatum": rows["started"].dt.floor("s").astype("datetime64[ns]"),
        "einddatum": rows["submitted"].dt.floor("s").astype("datetime64[ns]"),
        "duur": rows["duration"].astype(float),
        "status": np.where(rows["complete"], 1.0, 2.0),
        "route": route_code.astype(float),
        "rol": rows["role"].map({o: float(i) for i, o in enumerate(options["role"], 1)}).astype(float),
        "organisatie": rows["org_type"].map({o: float(i) for i, o in enumerate(options["org_type"], 1)}).astype(float),
        "jaren": rows["years"].astype(float),
    }
    names = {}
    for scale, items in q.scales.items():
        for j, code in enumerate(items, 1):
            names[code] = f"{scale}_{j}"
            frame[names[code]] = rows[code].fillna(SPSS_DONT_KNOW).astype(float)
        if scale == "FAC":
            frame["uren"] = rows["hours"].astype(float)
    frame["fase"] = rows["phase"].map({o: float(i) for i, o in enumerate(options["phase"], 1)}).astype(float)
    frame["toestemming"] = np.where(rows["consent"], 1.0, 2.0)
    frame["opmerking"] = rows["comment"].astype(str)
    data = pd.DataFrame(frame)
    likert = {float(k): lab for k, lab in enumerate(q.likert_labels_nl, 1)} | {SPSS_DONT_KNOW: "weet niet"}
    value_labels = {
        "status": {1.0: "Volledig", 2.0: "Onvolledig"},
        "toestemming": {1.0: "Ja", 2.0: "Nee"},
        "route": {v: k for k, v in code_of.items()},
        "rol": {float(i): o for i, o in enumerate(options["role"], 1)},
        "organisatie": {float(i): o for i, o in enumerate(options["org_type"], 1)},
        "fase": {float(i): o for i, o in enumerate(options["phase"], 1)},
        **{names[c]: likert for c in q.item_codes},
    }
    wording = {i.code: i.nl for i in q.items} | {c: x.nl for c, x in q.questions.items()}
    labels = {
        "respnr": "Respondentnummer",
        "jaar": "Meetjaar",
        "email": "E-mailadres",
        "startdatum": "Starttijd",
        "einddatum": "Eindtijd",
        "duur": "Invulduur (seconden)",
        "status": "Status vragenlijst",
        **{SPSS_NAMES[c]: wording[c] for c in SPSS_NAMES},
        **{names[c]: wording[c] for c in q.item_codes},
    }
    pyreadstat.write_sav(
        data,
        str(path),
        column_labels=[labels[c] for c in data.columns],
        variable_value_labels=value_labels,
        missing_ranges={names[c]: [SPSS_DONT_KNOW] for c in q.item_codes},
    )
    _fix_sav_time(path)


def _fix_sav_time(path: Path) -> None:
    """The .sav header holds the creation date and time (bytes 92-108): fix them for identical files."""
    data = bytearray(path.read_bytes())
    data[92:101] = b"01 Jan 25"
    data[101:109] = b"00:00:00"
    path.write_bytes(bytes(data))


def write_delimited(path: Path, rows: pd.DataFrame, registry: pd.DataFrame) -> None:
    q = _q()
    codes = (
        ["consent", "partnership", "role", "org_type", "years_involved", "fac_hours"]
        + q.item_codes
        + ["phase", "comment"]
    )
    wording = {i.code: i.nl for i in q.items} | {c: x.nl for c, x in q.questions.items()}
    s = rows["submitted"]
    when = (
        s.dt.day.astype(str)
        + "-"
        + s.dt.month.astype(str)
        + "-"
        + s.dt.year.astype(str)
        + " "
        + s.dt.hour.astype(str)
        + ":"
        + s.dt.minute.astype(str).str.zfill(2)
    )
    frame = {
        "Naam": "Deelnemer " + (rows["source_row"] + 1).astype(str),
        "E-mailadres": rows["identity"],
        "Ingevuld op": when,
    }
    answers = {
        "consent": np.where(rows["consent"], "Ja", "Nee"),
        "partnership": rows["route"],
        "role": rows["role"],
        "org_type": rows["org_type"],
        "years_involved": _years_text(rows),
        "fac_hours": rows["hours_text"].str.replace(".", ",", regex=False),
        "phase": rows["phase"],
        "comment": rows["comment"],
    }
    for code in codes:
        frame[wording[code]] = _likert(rows[code], q.likert_labels_nl) if code in q.item_codes else answers[code]
    pd.DataFrame(frame).to_csv(path, index=False, sep=";", encoding="cp1252", lineterminator="\r\n")


WRITERS = {
    "limesurvey": write_limesurvey,
    "qualtrics": write_qualtrics,
    "msforms": write_msforms,
    "spss": write_spss,
    "delimited": write_delimited,
}


# --- the config the workflow runs on ---------------------------------------------------------------------------


def source_settings(tool: str) -> dict:
    q = _q()
    if tool == "limesurvey":
        codes = {code: f"{code[:3].upper()}[SQ{n:03d}]" for s, cs in q.scales.items() for n, code in enumerate(cs, 1)}
        return {
            "fields": {"respondent_id": "token"},
            "questions": {**LIME_QUESTIONS, "fac_hours": "uren", "phase": "fase", "comment": "toelichting"},
            "items": codes,
        }
    if tool == "qualtrics":
        return {
            "fields": {"respondent_id": "RecipientEmail"},
            "items_by_wording": True,
            "questions_by_wording": True,
            "questions": {"partnership": "route"},
        }
    if tool == "msforms":
        return {"fields": {"respondent_id": "E-mail"}, "items_by_wording": True, "questions_by_wording": True}
    if tool == "spss":
        return {
            "wave_column": "jaar",
            "fields": {
                "respondent_id": "email",
                "submitted": "einddatum",
                "started": "startdatum",
                "duration": "duur",
                "completed": {"column": "status", "values": ["Volledig"]},
            },
            "items_by_wording": True,
            "questions_by_wording": True,
        }
    return {
        "encoding": "cp1252",
        "delimiter": ";",
        "decimal": ",",
        "date_format": "%d-%m-%Y %H:%M",
        "fields": {"respondent_id": "E-mailadres", "submitted": "Ingevuld op", "completed": "always"},
        "items_by_wording": True,
        "questions_by_wording": True,
    }


def build_config(files: dict, slugs, tools: dict, waves, use_deduce: bool = True) -> dict:
    """The bundled config's analysis settings with these regions, paths relative to the work folder."""
    config = yaml.safe_load(BASE_CONFIG.read_text(encoding="utf-8"))
    config["input_dir"] = "exports"
    config["questionnaire"] = "config/questionnaire.yaml"
    config["registry"] = "registry/partnerships.csv"
    config["privacy"]["use_deduce"] = use_deduce
    config["privacy"]["create_secret_if_missing"] = False
    regions = {}
    by_region: dict[str, list] = {}
    for path in sorted(files):
        by_region.setdefault(path.split("/", 1)[0], []).append((path, files[path][1]))
    for i, slug in enumerate(slugs):
        if slug not in by_region:
            continue
        tool = tools[slug]
        entries = []
        for path, wave in by_region[slug]:
            entries.append({"path": path} if tool == "spss" else {"path": path, "wave": wave})
        regions[slug] = {
            "registry_region": f"Regio {slug.split('-', 1)[1]}",
            "fieldwork": {str(w): [d.isoformat() for d in fieldwork(i, w)] for w in waves},
            "sources": [{"tool": tool, "files": entries, **source_settings(tool)}],
        }
    config["regions"] = regions
    return config
