import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

from borgingsmonitor.mechanisms.survival import (
    excluded_partnerships,
    partnership_years,
    survival_table,
    write_survival,
)
from borgingsmonitor.core.registry import load_registry
from borgingsmonitor.core.responses import read_responses

responses = read_responses(snakemake.input.responses)  # noqa: F821
registry = load_registry(snakemake.input.registry)  # noqa: F821
censor_year = snakemake.params.censor_year  # noqa: F821
py = partnership_years(registry, responses, censor_year)
print(f"censor year {censor_year or int(responses['wave'].max()) + 1} (first year not yet observed)", file=sys.stderr)
print(f"{len(py)} partnership-years of {py['partnership_id'].nunique()} partnerships, "
      f"{int(py['event'].sum())} stops", file=sys.stderr)
print(excluded_partnerships(registry, responses, censor_year).to_string(), file=sys.stderr)
table = survival_table(
    registry, responses, censor_year,
    min_events_interaction=int(snakemake.params.min_events_interaction),  # noqa: F821
)
print(table.to_string(), file=sys.stderr)
write_survival(table, snakemake.output.table)  # noqa: F821
