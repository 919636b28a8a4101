"""SPSS .sav: value labels become answer texts; declared user-missing codes are 'don't know', not guessed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from borgingsmonitor.core.errors import InputError
from borgingsmonitor.ingest.base import Adapter, FieldDefaults, RawExport
from borgingsmonitor.ingest.readers import require_file
from borgingsmonitor.ingest.sources import SourceSettings


class Spss(Adapter):
    tool = "spss"
    defaults = FieldDefaults()

    def read(self, path: Path, settings: SourceSettings) -> RawExport:
        import pyreadstat  # here, not at the top: most region jobs read no .sav (~0.06 s of each start)

        require_file(path)
        try:
            data, meta = pyreadstat.read_sav(str(path), user_missing=True, encoding=settings.encoding)
        except Exception as err:  # pyreadstat.ReadstatError and friends
            raise InputError(
                path,
                f"cannot be read as an SPSS .sav file ({err})",
                fix="check the file, or set `encoding` for this source",
            ) from None
        dont_know = {col: _user_missing(meta, col) for col in data.columns}
        data = data.astype(object)
        for col in data.columns:
            labels = meta.variable_value_labels.get(col, {})
            missing = dont_know.get(col, set())
            data[col] = data[col].map(
                lambda v, lab=labels, miss=missing: v if _isna(v) or _declared(v, miss) else lab.get(v, _whole(v))
            )
        data.index.name = "source_row"
        return RawExport(
            path, data, headings=dict(meta.column_names_to_labels), dont_know={k: v for k, v in dont_know.items() if v}
        )


def _user_missing(meta, column) -> set:
    codes = set(meta.missing_user_values.get(column, []))
    for rng in meta.missing_ranges.get(column, []):
        if rng["lo"] == rng["hi"]:
            codes.add(rng["lo"])
        else:
            codes.add(("range", rng["lo"], rng["hi"]))
    return codes


def _declared(value, codes: set) -> bool:
    """A declared user-missing code (a discrete value or within a range) stays a code, never its label."""
    if not isinstance(value, (int, float)):
        return False
    return value in codes or any(isinstance(c, tuple) and c[1] <= value <= c[2] for c in codes)


def _whole(value):
    """An unlabelled code 3.0 is the answer 3 (labels on the end points only are common)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _isna(value) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NaT
