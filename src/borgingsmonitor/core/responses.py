"""Reading the clean responses for an analysis: without the columns no analysis uses."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq

# Provenance and free text: the ledger and the report's quality section read them from qc/, never an
# analysis. At a million rows they are a third of the table's memory.
NOT_ANALYSED = ("respondent_key", "source_file", "source_row", "comment")


def read_responses(path) -> pd.DataFrame:
    columns = [c for c in pq.read_schema(path).names if c not in NOT_ANALYSED]
    return pd.read_parquet(path, columns=columns)
