import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

from borgingsmonitor.core.tables import write_table
from borgingsmonitor.measure.descriptives import descriptives_table
from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.core.responses import read_responses

responses = read_responses(snakemake.input.responses)  # noqa: F821
questionnaire = load_questionnaire(snakemake.input.questionnaire)  # noqa: F821
table = descriptives_table(responses, list(questionnaire.scales), snakemake.params.min_group_size)  # noqa: F821
print(f"{int(table['suppressed'].sum())} of {len(table)} groups suppressed", file=sys.stderr)
write_table(table, snakemake.output.descriptives)  # noqa: F821
