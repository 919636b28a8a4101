"""Snakemake entry point: the cleaning rules, the clean data set and the ledger of every raw row."""

from borgingsmonitor.core.errors import InputError
from borgingsmonitor.core.pipeline import clean_step, fail, setup_logging

setup_logging(snakemake.log[0])
try:
    responses, exclusions, attrition, issues = clean_step(
        harmonised=snakemake.input.harmonised,
        ingest_issues=snakemake.input.issues,
        registry=snakemake.input.registry,
        questionnaire=snakemake.input.questionnaire,
        regions=snakemake.params.regions,
        cleaning=snakemake.params.cleaning,
    )
except InputError as err:
    fail(err)
responses.to_parquet(snakemake.output.responses, index=False)
exclusions.to_csv(snakemake.output.exclusions, index=False)
attrition.to_csv(snakemake.output.attrition, index=False)
issues.to_csv(snakemake.output.value_issues, index=False)
