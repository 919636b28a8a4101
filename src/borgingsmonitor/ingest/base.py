"""One interface for every survey tool: read a raw export into a `RawExport`.

An adapter knows how its tool writes files (header rows, encodings, date cells, value labels)
and where the tool keeps its own metadata (completion marker, submission time, duration).
What a region's questions are called is configuration, never adapter code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from borgingsmonitor.core.labels import normalise_label

if TYPE_CHECKING:
    from borgingsmonitor.ingest.sources import Marker, SourceSettings


@dataclass
class RawExport:
    """A raw export as read: one row per data row, original column names, values as the tool wrote them."""

    path: Path
    data: pd.DataFrame  # index: source_row (0-based data row after the header rows)
    headings: dict[str, str] = field(default_factory=dict)  # column -> question text, where the tool has it
    dont_know: dict[str, set] = field(default_factory=dict)  # column -> declared user-missing codes (SPSS)
    aliases: dict[str, str] = field(default_factory=dict)  # other spellings of a column name -> the column


@dataclass(frozen=True)
class FieldDefaults:
    """Where a tool keeps its own metadata; each entry lists candidate column names, first found wins."""

    submitted: tuple[str, ...] = ()
    started: tuple[str, ...] = ()
    duration: tuple[str, ...] = ()
    completed: Marker | None = None  # None: the tool exports only completed responses
    test: Marker | None = None


class Adapter:
    tool: str = ""
    defaults = FieldDefaults()
    metadata: tuple[str, ...] = ()  # the tool's own columns (ids, times, addresses): never a question

    def is_metadata(self, column: str, columns) -> bool:
        """A column the tool writes itself: not listed as a question the config does not map."""
        return normalise_label(column) in {normalise_label(m) for m in self.metadata}

    def read(self, path: Path, settings: SourceSettings) -> RawExport:  # pragma: no cover - interface
        raise NotImplementedError

    def duration_seconds(self, raw: RawExport, column: str | None, started, submitted) -> pd.Series:
        """Seconds spent, from the tool's own duration column, else submitted minus started."""
        if column is not None:
            return pd.to_numeric(raw.data[column], errors="coerce")
        if started is not None and submitted is not None:
            return (submitted - started).dt.total_seconds()
        return pd.Series(float("nan"), index=raw.data.index)
