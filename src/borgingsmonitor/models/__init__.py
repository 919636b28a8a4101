"""Declared statistical models: the main mixed model, its sensitivity analyses, the declared hypotheses table.

Nothing is imported here: the workflow imports `models.hypotheses` when it parses, and importing
`models.table` (scipy.stats) from this file cost every Snakemake start, a no-op rerun included, ~0.5-2 s.
"""
