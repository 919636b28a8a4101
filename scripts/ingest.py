"""Rules `ingest_file` and `ingest_region` share this script: raw exports -> harmonised rows and value issues.

A per-file job is a region job with one file, so the two steps differ only in how many units they get."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.ingest.steps import ingest_file, ingest_region

run(snakemake, ingest_file if snakemake.rule == "ingest_file" else ingest_region)  # noqa: F821
