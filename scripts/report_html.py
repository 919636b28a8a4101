import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

from borgingsmonitor.report.content import build_report, load_inputs  # noqa: E402
from borgingsmonitor.report.figures import FIGURE_NAMES  # noqa: E402
from borgingsmonitor.report.html import render_report_html, write_text  # noqa: E402
from borgingsmonitor.report.translate import Translator  # noqa: E402

sm = snakemake  # noqa: F821
figures = {name: sm.input[f"{name}_png"] for name in FIGURE_NAMES}
inputs = load_inputs(dict(sm.input.items()), figures, sm.input.provenance, dict(sm.params.settings))
doc = build_report(inputs)
write_text(render_report_html(doc, Translator(inputs.language, inputs.questionnaire)), sm.output.html)
print(f"report: {len(doc.blocks)} blocks, language {inputs.language}", file=sys.stderr)
