"""The annual report's sections in their order: `build_report` walks them into one `ReportDocument`."""

from __future__ import annotations

from borgingsmonitor.report.document import Builder, ReportDocument, ReportInputs, report_year
from borgingsmonitor.report.sections.appendix import section_appendix
from borgingsmonitor.report.sections.hypotheses import section_hypotheses
from borgingsmonitor.report.sections.methods import section_methods
from borgingsmonitor.report.sections.rq1 import section_rq1
from borgingsmonitor.report.sections.rq2 import section_rq2
from borgingsmonitor.report.sections.rq3 import section_rq3
from borgingsmonitor.report.sections.rq4 import section_rq4
from borgingsmonitor.report.sections.rq5 import section_rq5
from borgingsmonitor.report.sections.rq6 import section_rq6
from borgingsmonitor.report.sections.summary import section_summary
from borgingsmonitor.report.translate import Translator

SECTIONS = (
    section_summary,
    section_hypotheses,
    section_rq1,
    section_rq2,
    section_rq3,
    section_rq4,
    section_rq5,
    section_rq6,
    section_methods,
    section_appendix,
)


def build_report(inputs: ReportInputs) -> ReportDocument:
    t = Translator(inputs.language, inputs.questionnaire)
    b = Builder(t)
    b.blocks.extend(inputs.preface)
    for section in SECTIONS:
        section(b, inputs)
        if section is section_summary:
            b.blocks.extend(inputs.conclusions)
    commit = inputs.provenance.get("git", {}).get("commit", "unknown")
    return ReportDocument(
        language=inputs.language,
        title=inputs.title or t("meta.default_title"),
        subtitle=t("meta.subtitle", year=report_year(inputs)),
        blocks=b.blocks,
        footer=t("meta.generated", commit=str(commit)[:12]),
    )
