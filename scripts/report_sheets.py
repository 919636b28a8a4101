import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

import tempfile  # noqa: E402

from borgingsmonitor.core.questionnaire import load_questionnaire  # noqa: E402
from borgingsmonitor.report.content import read_registry, region_names  # noqa: E402
from borgingsmonitor.report.figures import setup_matplotlib  # noqa: E402
from borgingsmonitor.report.sheets import write_sheets  # noqa: E402
from borgingsmonitor.report.translate import Translator  # noqa: E402
from borgingsmonitor.core.responses import read_responses  # noqa: E402

sm = snakemake  # noqa: F821
setup_matplotlib()
questionnaire = load_questionnaire(sm.input.questionnaire)
registry = read_registry(sm.input.registry)
responses = read_responses(sm.input.responses)
with tempfile.TemporaryDirectory() as work:
    written = write_sheets(responses, registry, questionnaire, sm.output.sheets,
                           Translator(sm.params.language, questionnaire), sm.params.min_group_size,
                           region_names(registry, responses), work)
print(f"wrote {len(written)} feedback sheets", file=sys.stderr)
