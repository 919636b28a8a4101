"""Declared statistical models: the main mixed model, its sensitivity analyses, the declared hypotheses table."""

from borgingsmonitor.models.table import MODEL_COLUMNS, model_rows, wald_terms

__all__ = ["MODEL_COLUMNS", "model_rows", "wald_terms"]
