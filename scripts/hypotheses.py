import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

import pandas as pd

from borgingsmonitor.models.hypotheses import hypotheses_table
from borgingsmonitor.core.tables import FLOAT_FORMAT
from borgingsmonitor.models.table import read_model_table

models = pd.concat([read_model_table(p) for p in snakemake.input.models], ignore_index=True)  # noqa: F821
mediation = pd.read_csv(snakemake.input.mediation)  # noqa: F821
survival = pd.read_csv(snakemake.input.survival)  # noqa: F821
table = hypotheses_table(models, mediation, survival, alpha=snakemake.params.alpha)  # noqa: F821
print(table.to_string(), file=sys.stderr)
table.to_csv(snakemake.output.table, index=False, float_format=FLOAT_FORMAT, na_rep="")  # noqa: F821
