import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

import time

from borgingsmonitor.mechanisms.mediation import mediation_table, write_mediation
from borgingsmonitor.core.responses import read_responses

responses = read_responses(snakemake.input.responses)  # noqa: F821
n_boot = int(snakemake.params.n_boot)  # noqa: F821
seed = int(snakemake.params.seed)  # noqa: F821
print(f"{len(responses)} responses; {n_boot} partnership-clustered resamples, seed {seed}", file=sys.stderr)
start = time.perf_counter()
table = mediation_table(responses, n_boot=n_boot, seed=seed)
print(f"bootstrap done in {time.perf_counter() - start:.2f} s", file=sys.stderr)
print(table.to_string(), file=sys.stderr)
write_mediation(table, snakemake.output.table)  # noqa: F821
