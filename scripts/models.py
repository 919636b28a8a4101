"""Rule `models`: every declared model's rows in one table."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.models.steps import models

run(snakemake, models)  # noqa: F821
