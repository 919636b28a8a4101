"""Declared statistical models: the mixed model of H1-H4, its sensitivity analyses, the hypotheses table."""

from borgingsmonitor.models.table import MODEL_COLUMNS, model_rows, wald_terms

__all__ = ["MODEL_COLUMNS", "model_rows", "wald_terms"]
