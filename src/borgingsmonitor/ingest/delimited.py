"""Delimited text from any other tool (Google Forms CSV, CSV saved from Excel): format declared in config."""

from __future__ import annotations

from pathlib import Path

from borgingsmonitor.ingest.base import Adapter, FieldDefaults, RawExport
from borgingsmonitor.ingest.readers import read_csv_export
from borgingsmonitor.ingest.sources import SourceSettings


class Delimited(Adapter):
    tool = "delimited"
    defaults = FieldDefaults(submitted=("Timestamp", "Tijdstempel"))

    def read(self, path: Path, settings: SourceSettings) -> RawExport:
        headers, data = read_csv_export(path, settings.encoding, settings.delimiter, settings.header_rows or 1)
        return RawExport(path, data)
