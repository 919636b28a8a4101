"""Render a ReportDocument to an editable Word file: real headings, Word tables, embedded figures."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

FIXED_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
FIGURE_WIDTH = Cm(16.5)
SUPPRESSED_FILL = "EDEDED"


def shade(cell, fill: str) -> None:
    props = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    props.append(shading)


def add_table(document, block, t) -> None:
    document.add_paragraph(f"{t('meta.table')} {block.number}. {block.text}", style="Caption")
    table = document.add_table(rows=1, cols=len(block.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, name in zip(table.rows[0].cells, block.columns):
        cell.text = name
        cell.paragraphs[0].runs[0].bold = True
        shade(cell, "DCE6F0")
    for row in block.rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = value.text
            if value.numeric:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if value.suppressed:
                shade(cell, SUPPRESSED_FILL)
                cell.paragraphs[0].runs[0].italic = True
    for row in table.rows:
        for cell in row.cells:
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(8.5)
    if block.note:
        note = document.add_paragraph(block.note)
        note.runs[0].font.size = Pt(8)
        note.runs[0].font.color.rgb = RGBColor(0x5F, 0x6B, 0x76)


def add_figure(document, block, t) -> None:
    document.add_picture(block.image, width=FIGURE_WIDTH)
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(f"{t('meta.figure')} {block.number}. {block.text}", style="Caption")


def build_docx(doc, t) -> Document:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.2))
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(10.5)
    props = document.core_properties
    props.title, props.subject, props.language = doc.title, doc.subtitle, doc.language
    props.author = props.last_modified_by = "Borgingsmonitor"
    props.created = props.modified = props.last_printed = FIXED_TIME
    props.revision = 1
    document.add_heading(doc.title, level=0)
    document.add_paragraph(doc.subtitle, style="Subtitle")
    for block in doc.blocks:
        if block.kind == "heading":
            document.add_heading(block.text, level=block.level)
        elif block.kind == "paragraph":
            document.add_paragraph(block.text)
        elif block.kind == "bullets":
            for item in block.items:
                document.add_paragraph(item, style="List Bullet")
        elif block.kind == "table":
            add_table(document, block, t)
        elif block.kind == "figure":
            add_figure(document, block, t)
    document.add_paragraph(f"{doc.footer} {t('meta.skip_note')}").runs[0].italic = True
    return document


def normalise_zip(data: bytes) -> bytes:
    """Rewrite the .docx zip with fixed timestamps and member order, so reruns are byte-identical."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        names = src.namelist()
        first = [n for n in names if n == "[Content_Types].xml"]
        for name in first + sorted(n for n in names if n not in first):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(name))
    return out.getvalue()


def write_docx(doc, t, path) -> None:
    buffer = io.BytesIO()
    build_docx(doc, t).save(buffer)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(normalise_zip(buffer.getvalue()))
