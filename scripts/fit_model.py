import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

import pandas as pd
import pyarrow.parquet as pq

from borgingsmonitor.models.declared import columns_used, fit_declared
from borgingsmonitor.models.table import write_model_table
from borgingsmonitor.core.questionnaire import load_questionnaire

spec = dict(snakemake.params.spec)  # noqa: F821
path = snakemake.input.responses  # noqa: F821
responses = pd.read_parquet(path, columns=columns_used(spec, pq.read_schema(path).names))
questionnaire = load_questionnaire(snakemake.input.questionnaire)  # noqa: F821
print(f"model {spec['name']}: {spec}", file=sys.stderr)
print(f"{len(responses)} responses", file=sys.stderr)
rows = fit_declared(spec, responses, reverse_items=questionnaire.reverse_items)
print(rows.to_string(), file=sys.stderr)
write_model_table(rows, snakemake.output.table)  # noqa: F821
