"""Microsoft Forms 'Open in Excel' download: one sheet, a column per question or statement, Excel date cells.

Forms writes its metadata headings in the account's language; both the Dutch and the English set are known.
"""

from __future__ import annotations

from pathlib import Path

from borgingsmonitor.ingest.base import Adapter, FieldDefaults, RawExport
from borgingsmonitor.ingest.readers import read_xlsx_export
from borgingsmonitor.ingest.sources import SourceSettings


class MicrosoftForms(Adapter):
    tool = "msforms"
    defaults = FieldDefaults(
        submitted=("Tijd van voltooien", "Completion time"),
        started=("Begintijd", "Start time"),
        completed=None,  # Forms exports only submitted responses
    )

    metadata = (
        "ID",
        "Begintijd",
        "Tijd van voltooien",
        "E-mail",
        "Naam",
        "Tijd van laatste wijziging",
        "Start time",
        "Completion time",
        "Email",
        "Name",
        "Last modified time",
    )

    def read(self, path: Path, settings: SourceSettings) -> RawExport:
        return RawExport(path, read_xlsx_export(path, settings.sheet))
