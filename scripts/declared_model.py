"""Rule `declared_model`: fit one model declared in config to the clean responses."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.models.steps import declared_model

run(snakemake, declared_model)  # noqa: F821
