"""Rule `clean_copies`: the clean data as Excel and SPSS, with its codebook."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.report.steps import clean_copies

run(snakemake, clean_copies)  # noqa: F821
