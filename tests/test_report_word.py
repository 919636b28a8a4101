"""The Word report as an evaluator sends it: structure in the XML, and the pages LibreOffice makes of it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document

from borgingsmonitor.report.document import Block, Cell, ReportDocument, markdown_blocks
from borgingsmonitor.report.docx import column_widths, docx_options, unbreakable, write_docx
from borgingsmonitor.report.translate import Translator

LONG_NAME = "Installatietechniek en Energietransitie"
SETTINGS = {"author": "Evaluatiebureau Voorbeeld", "fieldwork_ends": {"2025": "2025-04-05"}}


def table_block(number: int, n_rows: int) -> Block:
    rows = [
        [Cell(f"{LONG_NAME} {i}"), Cell(str(100 + i), numeric=True), Cell("3,45", numeric=True)] for i in range(n_rows)
    ]
    return Block(
        kind="table",
        text=f"Scores per route ({number})",
        columns=["Route", "n", "Gemiddelde"],
        rows=rows,
        number=number,
    )


def sample_report(language: str = "nl") -> ReportDocument:
    blocks = []
    for chapter in range(1, 5):
        blocks.append(Block(kind="heading", text=f"Hoofdstuk {chapter}", level=1))
        blocks += [Block(kind="paragraph", text="Tekst over de condities van duurzame samenwerking. " * 12)] * 3
        blocks.append(table_block(chapter, 40 if chapter == 2 else 6))
    return ReportDocument(
        language=language,
        title="Borgingsmonitor",
        subtitle="Jaarrapportage 2025",
        blocks=blocks,
        footer="Gemaakt met de workflow.",
    )


@pytest.fixture(scope="module")
def word_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("word") / "report.docx"
    write_docx(sample_report(), Translator("nl"), path, docx_options(SETTINGS, 2025))
    return path


def xml(path: Path, member: str) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(member).decode("utf-8")


def test_tables_repeat_their_header_and_never_split_a_row(word_file):
    document = Document(word_file)
    for table in document.tables:
        first = table.rows[0]._tr.xml
        assert "<w:tblHeader" in first
        assert all("<w:cantSplit" in row._tr.xml for row in table.rows)


def test_captions_are_fields_that_renumber_and_stay_with_their_table(word_file):
    body = xml(word_file, "word/document.xml")
    assert body.count("SEQ Tabel") == 4
    document = Document(word_file)
    captions = [p for p in document.paragraphs if p.style.name == "Caption"]
    assert len(captions) == 4 and all(p.paragraph_format.keep_with_next for p in captions)


def test_language_toc_page_numbers_and_metadata(word_file):
    assert 'w:val="nl-NL"' in xml(word_file, "word/styles.xml")
    assert "TOC \\o" in xml(word_file, "word/document.xml")
    footers = [n for n in zipfile.ZipFile(word_file).namelist() if n.startswith("word/footer")]
    assert any(" PAGE " in xml(word_file, f) for f in footers)
    assert "updateFields" in xml(word_file, "word/settings.xml")
    props = Document(word_file).core_properties
    assert props.author == "Evaluatiebureau Voorbeeld" and props.language == "nl-NL"
    assert props.created.date().isoformat() == "2025-04-05"
    meta = xml(word_file, "docProps/core.xml") + xml(word_file, "docProps/app.xml")
    assert "python-docx" not in meta and "Macintosh" not in meta


def test_columns_are_at_least_as_wide_as_their_longest_word_or_number():
    rows = [
        [Cell("Route Installatietechniek Gemert"), Cell("1193", numeric=True), Cell("0,34 [0,29; 0,39]", numeric=True)]
    ]
    widths = column_widths(["Route", "n", "Schatting"], rows, total_cm=16.6)
    assert abs(sum(widths) - 16.6) < 1e-9
    assert widths[0] >= len("Installatietechniek") * 0.19 + 0.4
    assert widths[2] >= len("0,34 [0,29; 0,39]") * 0.19 + 0.4 and widths[1] >= 4 * 0.19 + 0.4


def test_numbers_keep_their_width_when_text_must_wrap():
    rows = [[Cell("Likelihood-ratiotoets: " * 8), Cell("< 0,001"), Cell("0,08 [−0,01; 0,16]", numeric=True)]]
    widths = column_widths(["Toets " * 20, "p", "Schatting"], rows, total_cm=9.0)
    assert widths[1] >= 7 * 0.19 + 0.4 and widths[2] >= 18 * 0.19 + 0.4
    assert abs(sum(widths) - 9.0) < 1e-9


def test_intervals_move_below_their_estimate_when_numbers_alone_would_fill_the_line():
    """Four interval columns (the sensitivity table) would leave the model names no room: the interval
    goes to a second line, as one unit, and the text column gets at least its longest word."""
    rows = [[Cell("Ordinaal logitmodel voor de stelling")] + [Cell("0,45 [−0,27; 0,63] †", numeric=True)] * 4]
    widths = column_widths(["Model", "H1", "H2", "H3", "H4"], rows, total_cm=16.6)
    assert all(w >= len("[−0,27; 0,63]") * 0.19 + 0.4 for w in widths[1:])
    assert widths[0] >= len("logitmodel") * 0.19 + 0.4 and abs(sum(widths) - 16.6) < 1e-9
    assert unbreakable("0,45 [−0,27; 0,63] †") == "0,45 [−0,27;\u00a00,63]\u00a0†"
    assert unbreakable("< 0,001") == "<\u00a00,001"


def test_a_short_table_stays_with_its_caption_and_a_long_one_may_break_after_its_first_rows(word_file):
    document = Document(word_file)
    kept = [
        [all(p.paragraph_format.keep_with_next for p in row.cells[0].paragraphs) for row in table.rows]
        for table in document.tables
    ]
    short, long = kept[0], kept[1]
    assert short == [True] * (len(short) - 1) + [False]
    assert len(long) == 41 and long[:3] == [True] * 3 and not any(long[3:])


def test_a_reference_document_gives_its_house_style(tmp_path):
    reference = Document()
    reference.sections[0].header.paragraphs[0].text = "Evaluatiebureau Huisstijl"
    reference.add_paragraph("body text that must not survive")
    reference.save(tmp_path / "house.docx")
    out = tmp_path / "report.docx"
    write_docx(sample_report(), Translator("nl"), out, docx_options(SETTINGS, 2025, str(tmp_path / "house.docx")))
    document = Document(out)
    assert document.sections[0].header.paragraphs[0].text == "Evaluatiebureau Huisstijl"
    assert not any("must not survive" in p.text for p in document.paragraphs)


def test_markdown_preface_becomes_headings_paragraphs_and_bullets(tmp_path):
    text = "# Voorwoord\n\nDit jaar **vooral** nieuwe routes.\nTweede regel.\n\n## Dank\n\n- Helmond\n- Den Bosch\n"
    (tmp_path / "voorwoord.md").write_text(text, encoding="utf-8")
    blocks = markdown_blocks(tmp_path / "voorwoord.md")
    assert [(b.kind, b.level if b.kind == "heading" else None) for b in blocks] == [
        ("heading", 1),
        ("paragraph", None),
        ("heading", 2),
        ("bullets", None),
    ]
    assert blocks[1].text == "Dit jaar vooral nieuwe routes. Tweede regel."
    assert blocks[3].items == ["Helmond", "Den Bosch"]
    assert markdown_blocks(None) == []


def soffice():
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.browser
def test_libreoffice_pages_read_as_sent(word_file, tmp_path):
    """Convert as a user's LibreOffice does and read the pages: numbered, a filled table of contents,
    numbered captions, names unbroken, no caption alone at the foot of a page."""
    exe = soffice()
    if exe is None or not shutil.which("pdftotext"):
        if os.environ.get("BORGING_ALLOW_NO_BROWSER") == "1":
            pytest.skip("LibreOffice/pdftotext not installed and BORGING_ALLOW_NO_BROWSER=1")
        pytest.fail("install libreoffice-writer-nogui and poppler-utils, or set BORGING_ALLOW_NO_BROWSER=1")
    env = dict(os.environ, HOME=str(tmp_path))
    subprocess.run(
        [exe, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(word_file)],
        check=True,
        capture_output=True,
        timeout=240,
        env=env,
    )
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "report.pdf"), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert re.search(rf"Pagina {number} van {len(pages)}", page), f"page {number} has no page number"
        lines = [ln.strip() for ln in page.splitlines() if ln.strip() and not ln.strip().startswith("Pagina")]
        assert not re.match(r"Tabel \d+\.", lines[-1]), f"caption alone at the foot of page {number}"
    for n in range(1, 5):
        assert f"Tabel {n}. Scores per route ({n})" in text
    contents = pages[0].split("Inhoud", 1)[1].split("Tekst over", 1)[0]
    assert all(f"Hoofdstuk {n}" in contents for n in range(1, 5)), "table of contents not filled"
    assert text.count("Installatietechniek") >= 40 and "Installatietec\n" not in text
