# Borgingsmonitor: raw survey exports of every region -> harmonised table -> clean data -> analyses -> report.
from snakemake.utils import min_version, validate

min_version("9.0")


# The example's config only when the user gives none: a --configfile replaces it, never merges with it
# (a merge would add the example's regions, label sets and secret settings to the user's own).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


validate(config, schema="workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/clean.smk"
include: "workflow/rules/measure.smk"
include: "workflow/rules/mechanisms.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        all_outputs(),
