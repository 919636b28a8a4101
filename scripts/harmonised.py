"""Snakemake entry point: gather every file's rows into the one validated harmonised table."""

from borgingsmonitor.core.pipeline import gather_harmonised, setup_logging

setup_logging(snakemake.log[0])
table, issues = gather_harmonised(list(snakemake.input.tables), list(snakemake.input.issues), snakemake.input.questionnaire)
table.to_parquet(snakemake.output.table, index=False)
issues.to_csv(snakemake.output.issues, index=False)
