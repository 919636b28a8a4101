"""The tables and the clean data in the files users open: Excel workbooks (numbers as numbers, so
Dutch Excel shows decimal commas) and a labelled SPSS file with its codebook. The CSVs stay the
results contract; these are copies for people."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from borgingsmonitor.clean import details
from borgingsmonitor.core.questionnaire import SCALES
from borgingsmonitor.core.tables import neutralise_frame
from borgingsmonitor.report import sav_rows
from borgingsmonitor.report.xlsx_rows import Unsupported, cell_range, splice

log = logging.getLogger(__name__)

SHEET_NAME_LIMIT = 31  # Excel's
# Deflate level 1: the clean data's 1.3 GB of sheet XML at 1M rows compress in 7.7 instead of 30 CPU s
# (170 instead of 115 MB); Excel opens both alike.
ZIP_LEVEL = 1
SAV_FILE_LABEL = "Borgingsmonitor: clean responses"


def write_workbook(sheets: dict[str, pd.DataFrame], path) -> None:
    """One sheet per table, header row frozen and filtered, columns as wide as their content."""
    try:
        data = workbook_bytes(sheets, fast_rows=True)
    except Unsupported as why:
        log.info("%s: %s; every cell written by openpyxl", path, why)
        data = workbook_bytes(sheets, fast_rows=False)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(data)


def workbook_bytes(sheets: dict[str, pd.DataFrame], fast_rows: bool = True) -> bytes:
    """The workbook; with `fast_rows` openpyxl writes each sheet's header row and settings and
    `xlsx_rows` its data rows (the same bytes, far faster: see xlsx_rows.py)."""
    names = [name[:SHEET_NAME_LIMIT] for name in sheets]
    if fast_rows and len(set(names)) < len(names):
        raise Unsupported("two sheet names the same after Excel's cut")
    spliced = {}
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for number, (sheet_name, frame) in enumerate(zip(names, sheets.values()), start=1):
            safe = neutralise_frame(frame)
            if fast_rows and len(frame) and len(frame.columns):
                spliced[f"xl/worksheets/sheet{number}.xml"] = safe
                safe = safe.iloc[:0]
            safe.to_excel(writer, sheet_name=sheet_name, index=False)
            sheet = writer.sheets[sheet_name]
            sheet.freeze_panes = "A2"
            # the range of every row, also where only the header row is written here (as dimensions is)
            sheet.auto_filter.ref = cell_range(frame) if len(frame.columns) else sheet.dimensions
            for index, column in enumerate(frame.columns, start=1):
                width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)]) + 2
                sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(width, 60)
    return fixed_zip(buffer.getvalue(), spliced)


def fixed_zip(data: bytes, spliced: dict[str, pd.DataFrame] | None = None) -> bytes:
    """The workbook with fixed member timestamps and no creation date, so reruns are byte-identical;
    the sheets in `spliced` get their frame's data rows (`xlsx_rows.splice`)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            content = src.read(name)
            if name == "docProps/core.xml":
                content = re.sub(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>", b"", content)
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info._compresslevel = ZIP_LEVEL  # public as compress_level from Python 3.13
            if name in (spliced or {}):
                _write_member(dst, info, *splice(content.decode("utf-8"), spliced[name]))
            else:
                dst.writestr(info, content)
    return out.getvalue()


def _write_member(dst: zipfile.ZipFile, info: zipfile.ZipInfo, size: int, chunks) -> None:
    """A member written from text chunks as `writestr` writes it whole: writestr decides on ZIP64
    from the size before writing, so the size comes first."""
    info.file_size = size
    with dst.open(info, "w") as member:
        for chunk in chunks:
            member.write(chunk.encode("utf-8"))
    if info.file_size != size:
        raise Unsupported(f"{info.filename}: {info.file_size} bytes written where {size} were foreseen")


def table_sheets(paths: dict[str, str]) -> dict[str, pd.DataFrame]:
    """Result CSVs by name, read as the contract writes them (missing stays empty)."""
    return {name: pd.read_csv(path, keep_default_na=True) for name, path in paths.items()}


QC_TABLES = ("exclusions", "attrition", "value_issues", "unmapped_columns")
QC_TEXT_COLUMNS = {"detail": str, "value": str, "column": str, "source_file": str}


def qc_sheets(paths: dict[str, str], t) -> dict[str, pd.DataFrame]:
    """The QC tables for people: sheet names, headers, reasons, details and problems in the report
    language (the CSVs keep the contract's English codes)."""
    sheets = {}
    for name in QC_TABLES:
        frame = pd.read_csv(paths[name], dtype=QC_TEXT_COLUMNS, keep_default_na=False)
        if "reason" in frame:
            frame["reason"] = frame["reason"].map(lambda r: t.get(f"reasons.{r}", r))
        if "detail" in frame:
            frame["detail"] = frame["detail"].map(lambda d: details.translate(d, t.language))
        if "problem" in frame:
            frame["problem"] = frame["problem"].map(lambda p: t.get(f"problems.{p}", p))
        headers = {c: t.get(f"reasons.{c}", t.get(f"qc.columns.{c}", c)) for c in frame.columns}
        sheets[t(f"qc.sheets.{name}")] = frame.rename(columns=headers)
    return sheets


def codebook(responses: pd.DataFrame, questionnaire, t) -> pd.DataFrame:
    """One row per column of the clean data: its label and, for categories and items, its values."""
    language = t.language
    items = {item.code: item for item in questionnaire.items}
    likert = questionnaire.likert_labels_nl if language == "nl" else questionnaire.likert_labels_en
    rows = []
    for column in responses.columns:
        label, values = t.get(f"codebook.{column}", column), ""
        if column in items:
            label = getattr(items[column], language) + (f" ({t('codebook.reverse')})" if items[column].reverse else "")
            values = "; ".join(f"{i} = {text}" for i, text in enumerate(likert, 1))
        elif column in SCALES:
            label = questionnaire.scale_names[column][language]
            values = "1-5"
        elif column in questionnaire.questions:
            question = questionnaire.questions[column]
            label = getattr(question, language)
            options = question.options_nl  # the clean data holds the Dutch option texts
            values = "; ".join(f"{i} = {text}" for i, text in enumerate(options, 1)) if options else ""
        rows.append({"variable": column, "label": label, "values": values, "type": str(responses[column].dtype)})
    return pd.DataFrame(rows, columns=["variable", "label", "values", "type"])


def write_sav(responses: pd.DataFrame, questionnaire, path, t) -> None:
    """The clean data as SPSS: variable labels, Likert items as 1-5 with value labels, categories as
    numbered codes with their option texts as value labels."""
    import pyreadstat

    book = codebook(responses, questionnaire, t)
    labels = dict(zip(book["variable"], book["label"]))
    frame = responses.copy()
    value_labels = {}
    likert = questionnaire.likert_labels_nl if t.language == "nl" else questionnaire.likert_labels_en
    for item in questionnaire.items:
        if item.code in frame:
            frame[item.code] = pd.to_numeric(frame[item.code], errors="coerce").astype(float)
            value_labels[item.code] = {float(i): text for i, text in enumerate(likert, 1)}
    for code, question in questionnaire.questions.items():
        if code in frame and question.options_nl:
            codes = {text: float(i) for i, text in enumerate(question.options_nl, 1)}
            frame[code] = coded(frame[code], codes)
            value_labels[code] = {v: k for k, v in codes.items()}
    for column in frame.columns:
        dtype = frame[column].dtype
        if pd.api.types.is_bool_dtype(dtype) or str(dtype) == "boolean":
            frame[column] = frame[column].astype(float)
        elif not pd.api.types.is_numeric_dtype(dtype):
            values = frame[column].astype(object).where(frame[column].notna(), None)
            if pd.api.types.infer_dtype(values, skipna=True) != "string":  # texts are left as they are
                values = values.map(lambda v: None if v is None else str(v))
            frame[column] = values
        elif pd.api.types.is_integer_dtype(dtype) or str(dtype).startswith("Int"):
            frame[column] = frame[column].astype(float)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    metadata = {"column_labels": labels, "variable_value_labels": value_labels, "file_label": SAV_FILE_LABEL}
    try:
        sav_rows.write(frame, path, **metadata)
    except Unsupported as why:
        log.info("%s: %s; every cell written by pyreadstat", path, why)
        pyreadstat.write_sav(frame, str(path), **metadata)
    fix_sav_timestamp(Path(path))


def coded(column: pd.Series, codes: dict) -> np.ndarray:
    """`column.astype(object).map(codes).astype(float)`; a column of text looks each distinct text up once."""
    values = column.astype(object)
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        return values.map(codes).astype(float).to_numpy()
    found, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.array([codes.get(u, np.nan) for u in uniques] + [np.nan], dtype=float)[found]


def fix_sav_timestamp(path: Path) -> None:
    """SPSS files carry their creation date and time in the header (bytes 92-108): fix them, so a
    rerun writes the same bytes."""
    with open(path, "r+b") as sav:
        if sav.read(4) in (b"$FL2", b"$FL3"):
            sav.seek(92)
            sav.write(b"01 Jan 8000:00:00")
