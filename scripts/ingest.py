"""Snakemake entry point: one export, or all of a region's exports -> harmonised rows and value issues."""

from borgingsmonitor.core.errors import InputError
from borgingsmonitor.core.pipeline import fail, ingest_region, setup_logging
from borgingsmonitor.ingest.sources import FileUnit

setup_logging(snakemake.log[0])
p = snakemake.params
try:
    table, issues = ingest_region(
        exports=list(snakemake.input.exports),
        units=[FileUnit.from_params(**unit) for unit in p.units],
        region_spec=p.region_spec,
        questionnaire=snakemake.input.questionnaire,
        registry=snakemake.input.registry,
        label_sets=p.label_sets,
        privacy=p.privacy,
    )
except InputError as err:
    fail(err)
table.to_parquet(snakemake.output.table, index=False)
issues.to_csv(snakemake.output.issues, index=False)
