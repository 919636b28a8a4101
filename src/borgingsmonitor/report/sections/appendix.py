"""The appendix: the questionnaire, the settings and the columns no region mapped."""

from __future__ import annotations

from borgingsmonitor.report.document import Builder, Cell, ReportInputs, col, int_cell
from borgingsmonitor.report.figures import region_label
from borgingsmonitor.report.translate import Translator, format_int


def questionnaire_tables(b: Builder, inputs: ReportInputs) -> None:
    """The questionnaire as asked: every statement by scale, the answer options, the other questions."""
    t, q = b.t, inputs.questionnaire
    b.heading("sub.questionnaire", level=2)
    likert = q.likert_labels_nl if t.language == "nl" else q.likert_labels_en
    b.para(t("text.likert_options", options="; ".join(f"{i} = {label}" for i, label in enumerate(likert, 1))))
    rows = [
        [
            Cell(t.term(item.scale)),
            Cell(item.code),
            Cell(getattr(item, t.language)),
            Cell(t("text.reverse_mark") if item.reverse else ""),
        ]
        for item in q.items
    ]
    b.table(t("sub.questionnaire"), col(t, "scale", "code", "statement", "reverse"), rows)
    rows = []
    for question in q.questions.values():
        options = question.options_nl if t.language == "nl" else question.options_en
        answer = (
            "; ".join(options)
            if options
            else t("text.open_answer" if question.type == "text" else "text.number_answer")
        )
        rows.append([Cell(getattr(question, t.language)), Cell(answer)])
    b.table(t("sub.other_questions"), col(t, "question", "answers"), rows)


def fieldwork_text(t: Translator, fieldwork: dict) -> str:
    return "; ".join(
        t("text.fieldwork_window", wave=wave, start=start, end=end) for wave, (start, end) in sorted(fieldwork.items())
    )


def settings_summary(b: Builder, inputs: ReportInputs) -> None:
    """The settings in words: regions with their tools and fieldwork, the thresholds, where the rest is."""
    t, config = b.t, inputs.provenance.get("config", {})
    b.heading("sub.settings", level=2)
    names = inputs.region_names
    rows = []
    for slug, spec in sorted(config.get("regions", {}).items()):
        sources = spec.get("sources", [])
        tools = sorted({t.get(f"tools.{s.get('tool')}", str(s.get("tool"))) for s in sources})
        n_files = sum(len(s.get("files", [])) for s in sources)
        rows.append(
            [
                Cell(region_label(slug, names)),
                Cell(", ".join(tools)),
                int_cell(t, n_files),
                Cell(fieldwork_text(t, spec.get("fieldwork", {}))),
            ]
        )
    b.table(t("sub.regions"), col(t, "region", "tool", "files", "fieldwork"), rows)
    cleaning, privacy = config.get("cleaning", {}), config.get("privacy", {})
    bullets = [
        t("text.setting_min_group", min=inputs.min_group_size),
        t("text.setting_speeder", seconds=format_int(cleaning.get("speeder_seconds", 60), t.language)),
        t("text.setting_alpha", alpha=t.num(config.get("hypotheses", {}).get("alpha", 0.05))),
        t("text.setting_deduce_on" if privacy.get("use_deduce", True) else "text.setting_deduce_off"),
    ]
    b.bullets(bullets)
    b.para(t("text.settings_file"))


def section_appendix(b: Builder, inputs: ReportInputs):
    t, prov = b.t, inputs.provenance
    b.heading("sections.appendix", anchor="appendix")
    b.para(t("text.appendix_intro"))
    git = prov.get("git", {})
    b.para(t("text.git", commit=git.get("commit", "unknown"), dirty=t("text.git_dirty") if git.get("dirty") else ""))
    questionnaire_tables(b, inputs)
    settings_summary(b, inputs)
    b.heading("sub.inputs", level=2)
    rows = [
        [
            Cell(f["path"]),
            Cell(t.get(f"kinds.{f.get('kind', '')}", str(f.get("kind", "")))),
            int_cell(t, f.get("rows")),
            Cell(str(f.get("sha256", ""))[:16], numeric=True),
        ]
        for f in prov.get("inputs", [])
    ]
    b.table(t("sub.inputs"), col(t, "file", "kind", "rows", "sha256"), rows)
    unmapped_columns(b, inputs)
    b.heading("sub.software", level=2)
    rows = [[Cell(k), Cell(str(v))] for k, v in sorted(prov.get("packages", {}).items())]
    if prov.get("python"):
        rows.insert(0, [Cell("python"), Cell(prov["python"])])
    b.table(t("sub.software"), col(t, "package", "version"), rows)


def unmapped_columns(b: Builder, inputs: ReportInputs):
    """Columns the config does not map: how an evaluator sees that a region changed its form."""
    if inputs.unmapped is None:
        return
    t = b.t
    b.heading("sub.unmapped", level=2)
    if inputs.unmapped.empty:
        b.para(t("text.unmapped_none"))
        return
    b.para(t("text.unmapped_intro"))
    names = inputs.region_names
    rows = [
        [
            Cell(names.get(r["region"], r["region"])),
            Cell(r["source_file"]),
            Cell(r["column"]),
            int_cell(t, int(r["non_empty"])),
        ]
        for _, r in inputs.unmapped.iterrows()
    ]
    b.table(t("sub.unmapped"), col(t, "region", "file", "column", "non_empty"), rows)
