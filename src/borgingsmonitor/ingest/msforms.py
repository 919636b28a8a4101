"""Microsoft Forms 'Open in Excel' download: one sheet, a column per question or statement, Excel date cells.

Forms writes its metadata headings in the account's language; both the Dutch and the English set are known.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from borgingsmonitor.core.errors import InputError
from borgingsmonitor.ingest.base import Adapter, FieldDefaults, RawExport
from borgingsmonitor.ingest.readers import require_file


class MicrosoftForms(Adapter):
    tool = "msforms"
    defaults = FieldDefaults(
        submitted=("Tijd van voltooien", "Completion time"),
        started=("Begintijd", "Start time"),
        completed=None,  # Forms exports only submitted responses
    )

    def read(self, path: Path, options: dict) -> RawExport:
        require_file(path)
        try:
            data = pd.read_excel(path, sheet_name=options.get("sheet", 0), dtype=object, engine="openpyxl")
        except Exception as err:  # openpyxl raises many types for a broken or mislabelled file
            raise InputError(path, f"cannot be read as an Excel workbook ({err})", fix="check that the file is the .xlsx that Forms produced") from None
        data.columns = [str(c) for c in data.columns]
        data = data.reset_index(drop=True)
        data.index.name = "source_row"
        return RawExport(path, data)
