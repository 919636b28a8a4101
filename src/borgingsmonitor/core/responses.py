"""Reading the clean responses for an analysis: without the columns no analysis uses."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

# Provenance and free text: the ledger and the report's quality section read them from qc/, never an
# analysis. At a million rows they are a third of the table's memory.
NOT_ANALYSED = ("respondent_key", "source_file", "source_row", "comment")
GROUP_COLUMNS = ("region", "partnership_id", "role", "org_type")


def read_responses(path, columns=None, groups: tuple[str, ...] = ()) -> pd.DataFrame:
    """The analysed columns, or only those of `columns` the file has. `groups`: text columns read as
    categoricals whose categories sort as the text does, for steps that group by them and compare
    them as text: a million rows of text are a million Python strings to make and hash."""
    names = [c for c in pq.read_schema(path).names if c not in NOT_ANALYSED and (columns is None or c in columns)]
    return read_columns(path, names, groups)


def read_columns(path, names, groups: tuple[str, ...] = ()) -> pd.DataFrame:
    """These columns of a parquet file, with `groups` read as in `read_responses`, analysed or not."""
    schema = pq.read_schema(path)
    coded = [c for c in groups if c in names and pa.types.is_string(schema.field(c).type)]
    frame = pd.read_parquet(path, columns=list(names), read_dictionary=coded or None)
    for c in coded:
        frame[c] = frame[c].cat.reorder_categories(sorted(frame[c].cat.categories))
    return frame
