"""Rule `clean`: the cleaning rules, the clean data set and the ledger of every raw row."""

from borgingsmonitor.clean.steps import clean
from borgingsmonitor.core.rulescript import run

run(snakemake, clean)  # noqa: F821
