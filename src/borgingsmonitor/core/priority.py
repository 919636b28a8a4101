"""Snakemake `priority:` of the longest jobs after cleaning, so they start first (list scheduling on 2
cores: a run ends when its longest job does). The order is from the wall seconds per job at 1,000,000
rows (docs/performance.md): multiple imputation, the network dip, the clean data's copies, then the
ordinal mixed models and the CFA. Every other job keeps Snakemake's default order.

The ingestion jobs are ordered the same way, by the seconds their exports take to read: a region of
Excel exports reads ~50 times slower per byte than one of CSV files, and started last it keeps one
core busy alone while the other waits (45 s of a 1,000,000-row run)."""

from pathlib import Path

PRIORITY = {
    "imputed_model": 50,
    "network_dip": 40,
    "clean_copies": 30,
    "ordinal_mixed_model": 20,
    "cfa": 20,
}


def declared_model_priority(spec: dict) -> int:
    """A declared model's priority: multiple imputation and the ordinal mixed models are the long ones."""
    if spec.get("imputation"):
        return PRIORITY["imputed_model"]
    if spec["estimator"] == "ordered_logit_mixed":
        return PRIORITY["ordinal_mixed_model"]
    return 0


# seconds per MB of export at 1,000,000 rows (docs/performance.md, fifth round); text files otherwise
READ_SECONDS_PER_MB = {".xlsx": 10.0, ".xlsm": 10.0, ".sav": 0.7, ".zsav": 0.7}
TEXT_READ_SECONDS_PER_MB = 0.2


def ingestion_priority(paths) -> int:
    """An ingestion job's priority: the estimated seconds to read its exports (0 for a missing file,
    which the job itself reports)."""
    seconds = 0.0
    for path in map(Path, paths):
        size = path.stat().st_size / 1e6 if path.is_file() else 0.0
        seconds += size * READ_SECONDS_PER_MB.get(path.suffix.lower(), TEXT_READ_SECONDS_PER_MB)
    return round(seconds)
