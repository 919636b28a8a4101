import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

import pandas as pd

from borgingsmonitor.models.hypotheses import fill_model_p_adjusted
from borgingsmonitor.models.table import gather, read_model_table, write_model_table

tables = [read_model_table(p) for p in snakemake.input.models]  # noqa: F821
hypotheses = pd.read_csv(snakemake.input.hypotheses)  # noqa: F821
models = fill_model_p_adjusted(gather(tables), hypotheses)
print(f"{len(models)} rows from {len(tables)} models", file=sys.stderr)
write_model_table(models, snakemake.output.table)  # noqa: F821
