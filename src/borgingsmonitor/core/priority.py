"""Snakemake `priority:` of the longest jobs after cleaning, so they start first (list scheduling on 2
cores: a run ends when its longest job does). The order is from the wall seconds per job at 1,000,000
rows (docs/performance.md): multiple imputation, the network dip, the clean data's copies, then the
ordinal mixed models and the CFA. Every other job keeps Snakemake's default order."""

PRIORITY = {
    "imputed_model": 50,
    "network_dip": 40,
    "clean_copies": 30,
    "ordinal_mixed_model": 20,
    "cfa": 20,
}
