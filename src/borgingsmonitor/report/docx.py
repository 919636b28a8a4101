"""Render a ReportDocument to a Word file an evaluator can send: real headings, a table of contents,
numbered captions that renumber, tables that read across pages, page numbers, the report's language.

Word computes fields (table of contents, page numbers, caption numbers) when the document opens; the
file asks it to (`w:updateFields`), and LibreOffice does so on conversion.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

FIGURE_WIDTH = Cm(16.5)
TEXT_WIDTH_CM = 16.6  # A4 less two margins of 2.2 cm
SUPPRESSED_FILL = "EDEDED"
HEADER_FILL = "DCE6F0"
TABLE_FONT = Pt(8.5)
CHAR_CM = 0.19  # width of a character at TABLE_FONT in a wide fallback font (DejaVu Sans)
CELL_PADDING_CM = 0.4
BOLD_WIDTH = 1.15  # header words are bold: wider per character
KEEP_TOGETHER_LINES = 22  # of table text at TABLE_FONT: about a third of an A4 page
NBSP = "\u00a0"
LANGUAGE_TAGS = {"nl": "nl-NL", "en": "en-GB"}


@dataclass(frozen=True)
class DocxOptions:
    """What the Word file carries besides the report: who made it, when, in which house style."""

    created: dt.datetime
    author: str = "Borgingsmonitor"
    reference: str | None = None  # a .docx whose styles, headers and footers (logo) are kept


def docx_options(settings: dict, year: int, reference: str | None = None) -> DocxOptions:
    """The Word file's metadata from the report settings; its date is report.date or else the last
    day of the report year's fieldwork (never the clock, so a rerun gives the same file)."""
    day = settings.get("date") or (settings.get("fieldwork_ends") or {}).get(str(year)) or f"{year}-12-31"
    created = dt.datetime.fromisoformat(str(day)).replace(tzinfo=dt.UTC)
    return DocxOptions(created=created, author=settings.get("author") or "Borgingsmonitor", reference=reference)


def field_run(paragraph, instruction: str, placeholder: str = "1"):
    """A Word field (PAGE, SEQ Tabel, TOC ...) inside a paragraph, with a placeholder result."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, placeholder), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
            if kind == "begin":
                element.set(qn("w:dirty"), "true")
        else:
            element = OxmlElement("w:instrText" if text == instruction else "w:t")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    return run


def shade(cell, fill: str) -> None:
    props = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    props.append(shading)


def row_property(row, name: str) -> None:
    """tblHeader (repeat on every page) or cantSplit (never break the row) on a table row."""
    props = row._tr.get_or_add_trPr()
    element = OxmlElement(f"w:{name}")
    element.set(qn("w:val"), "true")
    props.append(element)


def is_number_like(cell) -> bool:
    """Numbers, intervals and "< 0,001": never broken over two lines."""
    return cell.numeric or not re.search(r"[^\W\d_]", cell.text)


def unbreakable(number: str) -> str:
    """A number, interval or "< 0,001" as one unit: a line may break only before an interval."""
    return number.replace(" ", NBSP).replace(f"{NBSP}[", " [")


def column_widths(columns: list[str], rows: list[list], total_cm: float = TEXT_WIDTH_CM) -> list[float]:
    """Widths in cm so that no number breaks and, where the line allows, no word: number columns get
    their longest value (an interval moves below its estimate when the text columns would otherwise
    get less than their longest word); text columns share the rest, each at least its longest word
    where that fits, the remainder in proportion to their typical text length."""
    numeric = [bool(rows) and all(is_number_like(row[i]) for row in rows) for i in range(len(columns))]
    floor = [_floor(name, [row[i] for row in rows], whole_numbers=True) for i, name in enumerate(columns)]
    text = [i for i, num in enumerate(numeric) if not num] or list(range(len(columns)))
    if sum(_cm(floor[i]) for i in range(len(columns))) > total_cm:
        floor = [_floor(name, [row[i] for row in rows], whole_numbers=False) for i, name in enumerate(columns)]
    typical = [
        max(sorted(len(row[i].text) for row in rows)[len(rows) // 2] if rows else 0, f) for i, f in enumerate(floor)
    ]
    widths = [_cm(f) if num else 0.0 for f, num in zip(floor, numeric)]
    room = total_cm - sum(widths[i] for i in range(len(columns)) if i not in text)
    char_cm = min(CHAR_CM, max(room - CELL_PADDING_CM * len(text), 0.0) / max(sum(floor[i] for i in text), 1))
    spare = max(room - sum(char_cm * floor[i] + CELL_PADDING_CM for i in text), 0.0)
    for i in text:
        widths[i] = char_cm * floor[i] + CELL_PADDING_CM + spare * typical[i] / sum(typical[j] for j in text)
    return widths


def _cm(chars: int) -> float:
    return CHAR_CM * chars + CELL_PADDING_CM


def _floor(name: str, cells: list, whole_numbers: bool) -> int:
    """The longest piece of a column that must stay on one line, in characters (header words are bold)."""
    pieces = [round(len(w) * BOLD_WIDTH) for w in name.split()]
    for c in cells:
        if is_number_like(c):
            pieces.append(len(c.text) if whole_numbers else max(map(len, c.text.split(" ["))) + 1)
        else:
            pieces.append(max(map(len, re.split(r"\s+|(?<=-)", c.text))))
    return max(pieces + [2])


def table_lines(rows: list[list], widths: list[float]) -> int:
    """About how many lines of text a table takes (each row as high as its fullest cell)."""
    per_line = [max(int((w - CELL_PADDING_CM) / CHAR_CM), 1) for w in widths]
    return sum(max((len(c.text) // n + 1 for c, n in zip(row, per_line)), default=1) for row in rows)


def caption(document, label: str, text: str, keep_with_next: bool):
    paragraph = document.add_paragraph(style="Caption")
    paragraph.add_run(f"{label} ")
    field_run(paragraph, f" SEQ {label} \\* ARABIC ")
    paragraph.add_run(f". {text}")
    paragraph.paragraph_format.keep_with_next = keep_with_next
    return paragraph


def add_table(document, block, t) -> None:
    caption(document, t("meta.table"), block.text, keep_with_next=True)
    table = document.add_table(rows=1, cols=len(block.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = [Cm(w) for w in column_widths(block.columns, block.rows)]
    for column, width in zip(table.columns, widths):
        column.width = width  # the table grid: LibreOffice lays out by it, Word by the cells
    header = table.rows[0]
    row_property(header, "tblHeader")
    for cell, name in zip(header.cells, block.columns):
        cell.text = name
        cell.paragraphs[0].runs[0].bold = True
        shade(cell, HEADER_FILL)
    for row in block.rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = unbreakable(value.text) if is_number_like(value) else value.text
            if value.numeric:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if value.suppressed:
                shade(cell, SUPPRESSED_FILL)
                cell.paragraphs[0].runs[0].italic = True
    # a table up to about a third of a page stays on one page with its caption; a longer one keeps its
    # caption, header and first rows together and may then break between rows (no half-empty page)
    together = len(table.rows) if table_lines(block.rows, [w.cm for w in widths]) <= KEEP_TOGETHER_LINES else 3
    for index, row in enumerate(table.rows):
        row_property(row, "cantSplit")
        for cell, width in zip(row.cells, widths):
            cell.width = width
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = index < min(together, len(table.rows) - 1)
                for run in paragraph.runs:
                    run.font.size = TABLE_FONT
    if block.note:
        note = document.add_paragraph(block.note)
        note.runs[0].font.size = Pt(8)
        note.runs[0].font.color.rgb = RGBColor(0x5F, 0x6B, 0x76)


def add_figure(document, block, t) -> None:
    document.add_picture(block.image, width=FIGURE_WIDTH)
    picture = document.paragraphs[-1]
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.keep_with_next = True
    caption(document, t("meta.figure"), block.text, keep_with_next=False)


def fld_char(run, kind: str) -> None:
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    if kind == "begin":
        element.set(qn("w:dirty"), "true")
    run._r.append(element)


def add_toc(document, t, headings: list[tuple[str, int]]) -> None:
    """A table-of-contents field whose stored result already lists the headings, so the contents show
    even where fields are not updated; Word fills in the page numbers when it updates the field."""
    document.add_paragraph(t("meta.toc"), style="TOC Heading" if "TOC Heading" in document.styles else "Heading 1")
    entries = headings or [(t("meta.toc_placeholder"), 1)]
    for index, (text, level) in enumerate(entries):
        style = f"toc {level}" if f"toc {level}" in document.styles else None
        paragraph = document.add_paragraph(style=style)
        if style is None:
            paragraph.paragraph_format.left_indent = Cm(0.6 * (level - 1))
        if index == 0:
            fld_char(paragraph.add_run(), "begin")
            instruction = OxmlElement("w:instrText")
            instruction.set(qn("xml:space"), "preserve")
            instruction.text = ' TOC \\o "1-2" \\h \\z \\u '
            paragraph.add_run()._r.append(instruction)
            fld_char(paragraph.add_run(), "separate")
        paragraph.add_run(text)
        if index == len(entries) - 1:
            fld_char(paragraph.add_run(), "end")


def add_page_numbers(section, t) -> None:
    paragraph = section.footer.paragraphs[0] if section.footer.paragraphs else section.footer.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run(f"{t('meta.page')} ")
    field_run(paragraph, " PAGE ")
    paragraph.add_run(f" {t('meta.page_of')} ")
    field_run(paragraph, " NUMPAGES ")


def set_language(document, tag: str) -> None:
    """The language Word spell-checks in, on the document defaults (and so on every style)."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    rpr = rpr_default.find(qn("w:rPr")) if rpr_default is not None else None
    if rpr is None:
        rpr = document.styles["Normal"].element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    for attribute in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attribute), tag)


def update_fields_on_open(document) -> None:
    settings = document.settings.element
    element = OxmlElement("w:updateFields")
    element.set(qn("w:val"), "true")
    settings.append(element)


def new_document(options: DocxOptions):
    """A blank A4 document, or the reference document emptied of its body (its styles, headers,
    footers and logo kept)."""
    if not options.reference:
        document = Document()
        section = document.sections[0]
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        for side in ("left_margin", "right_margin"):
            setattr(section, side, Cm(2.2))
        document.styles["Normal"].font.name = "Calibri"
        document.styles["Normal"].font.size = Pt(10.5)
        return document
    document = Document(options.reference)
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    return document


def set_metadata(document, doc, options: DocxOptions) -> None:
    props = document.core_properties
    props.title, props.subject = doc.title, doc.subtitle
    props.language = LANGUAGE_TAGS.get(doc.language, doc.language)
    props.author = props.last_modified_by = options.author
    props.comments = props.keywords = props.category = ""
    props.created = props.modified = props.last_printed = options.created
    props.revision = 1


def build_docx(doc, t, options: DocxOptions) -> Document:
    document = new_document(options)
    set_metadata(document, doc, options)
    set_language(document, LANGUAGE_TAGS.get(doc.language, doc.language))
    update_fields_on_open(document)
    if not options.reference:
        add_page_numbers(document.sections[0], t)
    document.add_heading(doc.title, level=0)
    document.add_paragraph(doc.subtitle, style="Subtitle")
    add_toc(document, t, [(b.text, b.level) for b in doc.blocks if b.kind == "heading" and b.level <= 2])
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
            content = src.read(name)
            if name == "docProps/app.xml":  # python-docx's template claims to be Word for the Mac
                content = re.sub(
                    rb"<Application>[^<]*</Application>", b"<Application>Borgingsmonitor</Application>", content
                )
            dst.writestr(info, content)
    return out.getvalue()


def write_docx(doc, t, path, options: DocxOptions) -> None:
    buffer = io.BytesIO()
    build_docx(doc, t, options).save(buffer)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(normalise_zip(buffer.getvalue()))
