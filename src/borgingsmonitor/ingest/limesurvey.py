"""LimeSurvey 'Export responses' CSV: UTF-8 with BOM, all fields quoted, code or full-text headings."""

from __future__ import annotations

import re
from pathlib import Path

from borgingsmonitor.ingest.base import Adapter, FieldDefaults, RawExport
from borgingsmonitor.ingest.readers import read_csv_export
from borgingsmonitor.ingest.sources import Marker, SourceSettings

_SUBQUESTION = re.compile(r"^(\w+)\[(\w+)\]$")


def canonical_code(column: str) -> str:
    """`Q[SQ001]` and `Q_SQ001` name the same subquestion: both become `Q_SQ001`."""
    match = _SUBQUESTION.match(column.strip())
    return f"{match.group(1)}_{match.group(2)}" if match else column.strip()


def spellings(column: str) -> set[str]:
    """The names a config may use for a column: itself, `Q_SQ001` and, for `Q_SQ001`, `Q[SQ001]`."""
    name = column.strip()
    brackets = {f"{name[:i]}[{name[i + 1 :]}]" for i, char in enumerate(name) if char == "_" and 0 < i < len(name) - 1}
    return {name, canonical_code(name)} | brackets


class LimeSurvey(Adapter):
    tool = "limesurvey"
    defaults = FieldDefaults(
        submitted=("submitdate", "Date submitted"),
        started=("startdate", "Date started"),
        duration=("interviewtime", "Total time"),
        completed=Marker(("submitdate", "Date submitted"), nonempty=True),
    )

    metadata = (
        "id",
        "submitdate",
        "lastpage",
        "startlanguage",
        "seed",
        "token",
        "startdate",
        "datestamp",
        "ipaddr",
        "refurl",
        "firstname",
        "lastname",
        "email",
        "interviewtime",
        "Response ID",
        "Date submitted",
        "Last page",
        "Start language",
        "Seed",
        "Token",
        "Date started",
        "Date last action",
        "IP address",
        "Referrer URL",
        "Total time",
    )

    def is_metadata(self, column: str, columns) -> bool:
        """Besides the fixed ones, the timings: groupTime1234 and <question code>Time."""
        timing = re.match(r"^(?:groupTime\d+|(\w+)Time)$", column.strip())
        if timing and (timing.group(1) is None or any(c != column and c.startswith(timing.group(1)) for c in columns)):
            return True
        return super().is_metadata(column, columns)

    def read(self, path: Path, settings: SourceSettings) -> RawExport:
        headers, data = read_csv_export(path, settings.encoding, settings.delimiter, 1)
        return RawExport(path, data, aliases={name: c for c in data.columns for name in spellings(c)})
