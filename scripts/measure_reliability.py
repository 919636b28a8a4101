import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

from borgingsmonitor.core.tables import write_table
from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.measure.reliability import item_statistics_table, reliability_table
from borgingsmonitor.core.responses import read_responses

responses = read_responses(snakemake.input.responses)  # noqa: F821
questionnaire = load_questionnaire(snakemake.input.questionnaire)  # noqa: F821
params = snakemake.params  # noqa: F821
reliability = reliability_table(responses, questionnaire, params.min_group_size, params.ci_level)
items = item_statistics_table(responses, questionnaire, params.min_group_size)
print(reliability.to_string(), file=sys.stderr)
write_table(reliability, snakemake.output.reliability)  # noqa: F821
write_table(items, snakemake.output.item_statistics)  # noqa: F821
