"""Rule `clean`: the cleaning rules, the clean data set and the ledger of every raw row."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.clean.steps import clean

run(snakemake, clean)  # noqa: F821
