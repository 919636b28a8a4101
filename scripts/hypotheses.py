"""Rule `hypotheses`: the table of hypotheses with their tests and adjusted p-values."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.models.steps import hypotheses

run(snakemake, hypotheses)  # noqa: F821
