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


def declared_model_priority(spec: dict) -> int:
    """A declared model's priority: multiple imputation and the ordinal mixed models are the long ones."""
    if spec.get("imputation"):
        return PRIORITY["imputed_model"]
    if spec["estimator"] == "ordered_logit_mixed":
        return PRIORITY["ordinal_mixed_model"]
    return 0
