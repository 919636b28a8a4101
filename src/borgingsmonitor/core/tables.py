"""Writing result tables as the results contract fixes them."""

from __future__ import annotations

import pandas as pd

# Full precision without float noise: every CSV of results/ uses it.
FLOAT_FORMAT = "%.10g"


def write_table(table: pd.DataFrame, path) -> None:
    """CSV per the results contract: full precision, empty for missing, booleans as true/false."""
    out = table.copy()
    for col in out.columns:
        if out[col].dtype == bool or str(out[col].dtype) == "boolean":
            out[col] = out[col].map({True: "true", False: "false"})
    out.to_csv(path, index=False, float_format=FLOAT_FORMAT, na_rep="", lineterminator="\n")
