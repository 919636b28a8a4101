"""Rule `partnership_sheets`: one feedback sheet per partnership."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.report.steps import partnership_sheets

run(snakemake, partnership_sheets)  # noqa: F821
