import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

from borgingsmonitor.measure.cfa import five_factor_cfa
from borgingsmonitor.core.tables import write_table
from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.core.responses import read_responses

responses = read_responses(snakemake.input.responses)  # noqa: F821
questionnaire = load_questionnaire(snakemake.input.questionnaire)  # noqa: F821
fit, loadings = five_factor_cfa(responses, questionnaire)
print(fit.T.to_string(), file=sys.stderr)
write_table(fit, snakemake.output.fit)  # noqa: F821
write_table(loadings, snakemake.output.loadings)  # noqa: F821
