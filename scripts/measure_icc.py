import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

from borgingsmonitor.measure.icc import icc_table
from borgingsmonitor.core.tables import write_table
from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.core.responses import read_responses

responses = read_responses(snakemake.input.responses)  # noqa: F821
questionnaire = load_questionnaire(snakemake.input.questionnaire)  # noqa: F821
table, warnings = icc_table(responses, questionnaire)
for message in warnings:
    print(f"MixedLM warning: {message}", file=sys.stderr)
print(table.to_string(), file=sys.stderr)
write_table(table, snakemake.output.icc)  # noqa: F821
