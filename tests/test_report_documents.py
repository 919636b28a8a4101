"""The annual report (HTML and Word) and the feedback sheets, built from contract-shaped fixtures."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from docx import Document
from fixtures.report import HYPOTHESES, build_fixture

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.report import figures as F
from borgingsmonitor.report.content import build_report
from borgingsmonitor.report.document import TABLE_FILES, ReportInputs
from borgingsmonitor.report.docx import docx_options, write_docx
from borgingsmonitor.report.html import render_report_html
from borgingsmonitor.report.names import read_registry, region_names
from borgingsmonitor.report.provenance import build_provenance
from borgingsmonitor.report.regions import write_region_reports
from borgingsmonitor.report.sheets import write_sheets
from borgingsmonitor.report.translate import Translator, load_strings

MIN = 5
OPTIONS = docx_options({"author": "Evaluatiebureau Voorbeeld", "fieldwork_ends": {"2025": "2025-04-05"}}, 2025)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("report_docs")
    paths = build_fixture(root)
    questionnaire = load_questionnaire(paths["questionnaire"])
    registry = read_registry(paths["registry"])
    responses = pd.read_parquet(paths["responses"])
    tables = {k: pd.read_csv(paths[k]) for k in TABLE_FILES}
    small = pd.DataFrame(
        [
            {
                "scale": s,
                "group_type": "org_type",
                "group": "bedrijfsleven-klein",
                "n": 3,
                "mean": float("nan"),
                "sd": float("nan"),
                "suppressed": True,
            }
            for s in ("REL", "FAC", "PRO", "ORG", "DUR")
        ]
    )
    tables["descriptives"] = pd.concat([tables["descriptives"], small], ignore_index=True)
    config = {
        "min_group_size": MIN,
        "report": {"language": "nl"},
        "analysis": {"seed": 42},
        "models": [
            {
                "name": "conditions_mixed",
                "formula": "DUR ~ REL + FAC + PRO + ORG + wave",
                "family": "gaussian",
                "estimator": "reml",
            }
        ],
    }
    prov = build_provenance(paths["manifests"], paths["registry"], paths["questionnaire"], config, repo_dir=root)
    out = {"root": root, "paths": paths, "responses": responses, "questionnaire": questionnaire, "registry": registry}
    F.setup_matplotlib()
    for lang in ("nl", "en"):
        t = Translator(lang, questionnaire)
        figs = F.build_figures(
            responses,
            tables["descriptives"],
            tables["models"],
            tables["mediation"],
            tables["network_dip"],
            tables["survival"],
            tables["attrition"],
            questionnaire,
            t,
            MIN,
            region_names=region_names(registry),
            hypotheses=HYPOTHESES,
        )
        fig_dir = root / lang / "figures"
        pngs = {n: fig_dir / f"{n}.png" for n in F.FIGURE_NAMES}
        F.write_figures(figs, pngs, {})
        inputs = ReportInputs(
            responses,
            tables,
            registry,
            questionnaire,
            prov,
            {k: str(v) for k, v in pngs.items()},
            language=lang,
            min_group_size=MIN,
            unmapped=pd.read_csv(paths["unmapped_columns"], dtype=str, keep_default_na=False),
            hypotheses=HYPOTHESES,
        )
        doc = build_report(inputs)
        html = render_report_html(doc, t)
        (root / lang / "report.html").write_text(html, encoding="utf-8")
        write_docx(doc, t, root / lang / "report.docx", OPTIONS)
        sheets = write_sheets(
            responses, registry, questionnaire, root / lang / "partnerships", t, MIN, region_names(registry)
        )
        write_region_reports(
            responses, registry, questionnaire, root / lang / "regions", t, MIN, region_names(registry)
        )
        out[lang] = {
            "doc": doc,
            "html": html,
            "docx": root / lang / "report.docx",
            "sheets": sheets,
            "sheet_dir": root / lang / "partnerships",
            "t": t,
            "inputs": inputs,
        }
    return out


def visible_text(html: str) -> str:
    html = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    html = re.sub(r'src="data:[^"]*"', " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def test_html_is_self_contained(built):
    for lang in ("nl", "en"):
        html = built[lang]["html"]
        assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, flags=re.I)
        assert "<script" not in html.lower() and "<link" not in html.lower() and "@import" not in html
        assert "url(" not in html
        assert html.count('src="data:image/png;base64,') == sum(b.kind == "figure" for b in built[lang]["doc"].blocks)


def test_every_section_and_every_figure_is_in_the_report(built):
    doc = built["nl"]["doc"]
    anchors = [h.anchor for h in doc.headings(1)]
    assert anchors == ["summary", "hypotheses", "rq1", "rq2", "rq3", "rq4", "rq5", "rq6", "methods", "appendix"]
    shown = {Path(b.image).stem for b in doc.blocks if b.kind == "figure"}
    assert shown == set(F.FIGURE_NAMES)
    assert 'lang="nl"' in built["nl"]["html"] and 'lang="en"' in built["en"]["html"]


def test_english_report_has_no_dutch_template_words(built):
    word = re.compile(r"[^\W\d_]{5,}")
    nl_words = {w.lower() for v in load_strings("nl").values() for w in word.findall(str(v))}
    en_words = {w.lower() for v in load_strings("en").values() for w in word.findall(str(v))}
    dutch_only = nl_words - en_words
    assert len(dutch_only) > 100
    english = {w.lower() for w in word.findall(visible_text(built["en"]["html"]))}
    assert not (english & dutch_only), sorted(english & dutch_only)[:20]
    dutch = {w.lower() for w in word.findall(visible_text(built["nl"]["html"]))}
    assert dutch & dutch_only  # the check can fail


def test_templates_and_code_hold_no_report_words():
    base = Path(__file__).resolve().parents[1] / "src" / "borgingsmonitor" / "report"
    for template in (base / "templates").glob("*.j2"):
        text = re.sub(r"{{.*?}}|{%.*?%}|<[^>]+>", " ", template.read_text(encoding="utf-8"), flags=re.S)
        assert not re.search(r"[A-Za-z]{4,}", text), (template.name, re.findall(r"[A-Za-z]{4,}", text)[:5])


def test_suppressed_cells_are_marked_in_html_and_docx(built):
    html = built["nl"]["html"]
    assert 'class="num suppressed">x</td>' in html
    assert "minder dan 5 respondenten" in html
    word = Document(built["nl"]["docx"])
    cells = [c.text for tbl in word.tables for row in tbl.rows for c in row.cells]
    assert "x" in cells


def test_summary_and_methods_come_from_the_inputs(built):
    html = built["en"]["html"]
    assert "analysis.seed = 42" in html
    assert "DUR ~" not in html  # models in words, not code
    assert "explains Partnership durability (DUR) from Relational conditions (REL)" in html
    att = built["en"]["inputs"].tables["attrition"]
    assert f"{int(att['raw_rows'].sum()):,}" in html
    assert "H4 not supported" in html and "H1 supported" in html


def test_docx_has_every_heading_table_and_figure(built):
    for lang in ("nl", "en"):
        doc = built[lang]["doc"]
        word = Document(built[lang]["docx"])
        headings = [(p.style.name, p.text) for p in word.paragraphs if p.style.name.startswith("Heading")]
        expected = [(f"Heading {b.level}", b.text) for b in doc.blocks if b.kind == "heading"]
        assert headings == expected
        table_blocks = [b for b in doc.blocks if b.kind == "table"]
        assert len(word.tables) == len(table_blocks)
        for tbl, block in zip(word.tables, table_blocks):
            assert [c.text for c in tbl.rows[0].cells] == block.columns
            assert len(tbl.rows) == len(block.rows) + 1
        assert len(word.inline_shapes) == sum(b.kind == "figure" for b in doc.blocks)
        assert word.core_properties.language == {"nl": "nl-NL", "en": "en-GB"}[lang]


def test_docx_is_byte_identical_on_rerun(built, tmp_path):
    doc, t = built["nl"]["doc"], built["nl"]["t"]
    write_docx(doc, t, tmp_path / "again.docx", OPTIONS)
    assert (tmp_path / "again.docx").read_bytes() == built["nl"]["docx"].read_bytes()
    assert render_report_html(doc, t) == built["nl"]["html"]


def test_sheets_hold_no_personal_data_and_no_small_groups(built):
    responses = built["responses"]
    sheet_dir = built["nl"]["sheet_dir"]
    names = {p.stem for p in built["nl"]["sheets"]}
    assert "HEL-03" not in names and "DEN-01" in names
    assert (sheet_dir / "index.html").exists()
    keys = set(responses["respondent_key"])
    for path in sheet_dir.glob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert "GEHEIM" not in html and "Persoonlijke opmerking" not in html
        assert not any(k in html for k in keys)
        assert "http://" not in html and "https://" not in html


def test_sheet_shows_partnership_region_and_all(built):
    html = (built["en"]["sheet_dir"] / "DEN-01.html").read_text(encoding="utf-8")
    assert "Region Den Bosch" in html and "All regions" in html and "Strongest points" in html
    own = built["responses"].query("partnership_id == 'DEN-01' and wave == 2025")["DUR"].mean()
    assert f"{own:.2f}" in html


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.browser
def test_report_renders_in_headless_chromium(built, tmp_path):
    exe = chromium()
    if exe is None:
        if os.environ.get("BORGING_ALLOW_NO_BROWSER") == "1":
            pytest.skip("chromium not installed and BORGING_ALLOW_NO_BROWSER=1")
        pytest.fail("chromium is not installed (apt-get install chromium), or set BORGING_ALLOW_NO_BROWSER=1")
    for lang in ("nl", "en"):
        page = built["root"] / lang / "report.html"
        shot = tmp_path / f"{lang}.png"
        args = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / ('profile_' + lang)}",
            "--window-size=1000,3000",
            "--enable-logging=stderr",
            "--v=1",
        ]
        dom = subprocess.run([*args, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
        assert dom.returncode == 0, dom.stderr[-2000:]
        assert '<h2 id="rq6">' in dom.stdout
        # Chromium's own housekeeping (clock sync, component updates) talks to google hosts even
        # with the flags above; any other URL in the log would have come from the page.
        requests = re.findall(r"https?://([^/\s\"')]+)", dom.stderr)
        assert not [h for h in requests if "google" not in h and "gstatic" not in h], requests[:5]
        assert "Failed to load resource" not in dom.stderr
        run = subprocess.run(
            [*args, f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 0, run.stderr[-2000:]
        assert shot.exists() and shot.stat().st_size > 20_000


# Runs first in the page: records script errors and console errors, then after load lists broken
# images and elements wider than the page, and writes all of it into the DOM that --dump-dom prints.
PAGE_AUDIT = """<script>
window.__audit = [];
window.addEventListener('error', e => window.__audit.push('error: ' + (e.message || e.target.src || e.target.href)), true);
const __err = console.error; console.error = (...a) => { window.__audit.push('console: ' + a.join(' ')); __err(...a); };
window.addEventListener('load', () => {
  for (const img of document.images) if (!img.complete || img.naturalWidth === 0) window.__audit.push('broken image: ' + img.alt);
  const page = document.documentElement.clientWidth;
  const scrolls = el => { for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
    if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return true; } return false; };
  for (const el of document.body.querySelectorAll('*')) {
    if (scrolls(el)) continue;  // inside a box that scrolls sideways (a wide table on a phone)
    const r = el.getBoundingClientRect();
    if (r.right > page + 1) window.__audit.push('wider than the page: ' + el.tagName + '.' + el.className + ' ' + Math.round(r.right));
  }
  const out = document.createElement('pre'); out.id = 'page-audit'; out.textContent = JSON.stringify(window.__audit);
  document.body.appendChild(out);
});
</script>"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [1000, 420])
def test_report_region_reports_and_a_sheet_load_cleanly_in_chromium(built, tmp_path, width):
    """The report, every region report and a sheet: no script or console error, no broken image, and
    nothing wider than the window (a desktop window and a phone)."""
    exe = chromium()
    if exe is None:
        if os.environ.get("BORGING_ALLOW_NO_BROWSER") == "1":
            pytest.skip("chromium not installed and BORGING_ALLOW_NO_BROWSER=1")
        pytest.fail("chromium is not installed (apt-get install chromium), or set BORGING_ALLOW_NO_BROWSER=1")
    root = built["root"] / "nl"
    pages = [root / "report.html", *sorted((root / "regions").glob("*.html")), root / "partnerships" / "DEN-01.html"]
    assert len(pages) >= 6
    for page in pages:
        probe = tmp_path / f"{page.parent.name}-{page.name}"
        html = page.read_text(encoding="utf-8")
        probe.write_text(html.replace("<head>", "<head>" + PAGE_AUDIT, 1), encoding="utf-8")
        args = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-sync",
            "--disable-background-networking",
            "--disable-component-update",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--window-size={width},2000",
            "--virtual-time-budget=5000",
            "--dump-dom",
            probe.as_uri(),
        ]
        dom = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert dom.returncode == 0, dom.stderr[-2000:]
        found = re.search(r'<pre id="page-audit">(.*?)</pre>', dom.stdout, re.S)
        assert found, f"{page.name}: the audit did not run"
        assert found.group(1) == "[]", f"{page.relative_to(root)} at {width}px: {found.group(1)[:1000]}"


def test_evaluator_texts_open_the_report_and_follow_the_summary(built):
    from borgingsmonitor.report.document import Block

    inputs = replace(
        built["nl"]["inputs"],
        preface=[Block(kind="heading", text="Voorwoord van de evaluator")],
        conclusions=[Block(kind="paragraph", text="Onze eigen conclusie.")],
    )
    doc = build_report(inputs)
    texts = [b.text for b in doc.blocks]
    assert texts[0] == "Voorwoord van de evaluator"
    headings = [i for i, b in enumerate(doc.blocks) if b.kind == "heading" and b.level == 1]
    conclusion = texts.index("Onze eigen conclusie.")
    assert headings[1] < conclusion < headings[2]  # inside the summary chapter's span, before the next chapter
    assert "Voorwoord van de evaluator" in render_report_html(doc, built["nl"]["t"])


def test_appendix_lists_the_columns_the_config_does_not_map_and_the_inputs_as_ingested(built):
    for lang, heading in (("nl", "Niet gebruikte kolommen"), ("en", "Columns not used")):
        text = visible_text(built[lang]["html"])
        assert heading in text
        section = text[text.index(heading) :]
        assert "helmond" in section.casefold() and "lime.csv" in section and "comment" in section
    inputs = {Path(f["path"]).name: f for f in built["nl"]["inputs"].provenance["inputs"]}
    assert inputs["lime.csv"]["rows"] == 3 and inputs["lime.csv"]["tool"] == "limesurvey"
    empty = replace(
        built["en"]["inputs"], unmapped=pd.DataFrame(columns=["region", "source_file", "column", "non_empty"])
    )
    assert "no region added a question" in render_report_html(build_report(empty), built["en"]["t"])


def test_appendix_gives_the_questionnaire_and_settings_in_words_not_a_config_dump(built):
    html = built["nl"]["html"]
    questionnaire = built["questionnaire"]
    assert all(item.nl.replace("'", "&#39;") in html for item in questionnaire.items)
    assert "Helemaal mee oneens" in html and "config.yaml" in html
    assert "models.0." not in html and "privacy.secret_file" not in html
