"""From the config to one ingestion unit per raw export file (the fan-out of the workflow).

Each file's settings (its source's, then its wave's overrides, then its own) are read once into a
typed, frozen `SourceSettings`; adapters and harmonisation read its attributes. The config schema
(`workflow/schemas/config.schema.yaml`, `$defs/source`) checks the types and documents every key;
this module adds what the schema cannot check (the merged wave overrides, the date format) and holds
the defaults, which a test keeps equal to the schema's.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from borgingsmonitor.core.errors import InputError
from borgingsmonitor.ingest.dates import check_date_format
from borgingsmonitor.ingest.testmarks import MarkSettings


@dataclass(frozen=True)
class Marker:
    """Columns (the first one found is read) and the values that mark a row; `nonempty`: any value does."""

    columns: tuple[str, ...]
    values: tuple = ()
    nonempty: bool = False

    @classmethod
    def from_config(cls, spec: dict) -> Marker:
        columns = (spec["column"],) if "column" in spec else tuple(spec.get("columns", ()))
        nonempty = bool(spec.get("nonempty")) or spec.get("rule") == "nonempty"
        return cls(columns, tuple(spec.get("values") or ()), nonempty)


@dataclass(frozen=True)
class Fields:
    """Where the tool keeps its metadata; None: the adapter's default."""

    respondent_id: str | None = None
    submitted: str | None = None
    started: str | None = None
    duration: str | None = None
    completed: Marker | str | None = None  # a Marker, or "always" when the tool exports only completed responses
    test: Marker | None = None


@dataclass(frozen=True)
class SourceSettings:
    """One file's settings, as documented in config/README.md (treat the dicts as read-only)."""

    tool: str
    wave: int | None = None
    wave_column: str | None = None
    encoding: str = "utf-8"
    delimiter: str = ","
    header_rows: int | None = None  # None: the adapter's own (1, or Qualtrics' detected 2 or 3)
    decimal: str = "."
    date_format: str | None = None  # None: inferred per column from all its values (ingest/dates.py)
    sheet: str | int = 0
    fields: Fields = field(default_factory=Fields)
    items: dict[str, str] = field(default_factory=dict)
    questions: dict[str, str] = field(default_factory=dict)
    items_by_wording: bool = False
    questions_by_wording: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    unknown_labels: str = "error"
    anonymous_values: tuple[str, ...] = ("anonymous", "anoniem", "anonym")
    partnership_aliases: dict[str, str] = field(default_factory=dict)
    test_marks: MarkSettings = field(default_factory=MarkSettings)

    @classmethod
    def from_config(cls, merged: dict, where: str = "this source") -> SourceSettings:
        """Build from a source's merged settings (or from `as_dict()`); `where` names it in errors."""
        _check(merged, {f.name for f in dataclasses.fields(cls)}, where)
        values = {k: v for k, v in merged.items() if k != "fields"}
        values["test_marks"] = MarkSettings.from_config(values.get("test_marks"))
        for key in ("items", "questions", "labels", "partnership_aliases"):
            values[key] = dict(values.get(key) or {})
        if "anonymous_values" in values:
            values["anonymous_values"] = tuple(values["anonymous_values"])
        if values.get("wave") is not None:
            values["wave"] = int(values["wave"])
        return cls(**values, fields=_fields(merged.get("fields") or {}, where))

    def as_dict(self) -> dict:
        """Plain values (for Snakemake params and provenance); `from_config` reads them back."""
        return dataclasses.asdict(self)

    def label_set(self, kind: str) -> str:
        """The label set this source uses for answers of this kind (likert, consent, role, ...)."""
        return self.labels.get(kind, kind)


def _check(merged: dict, known: set[str], where: str) -> None:
    """What the schema cannot check: keys in `waves:` overrides, and values only the code can judge."""
    unknown = sorted(set(merged) - known)
    if unknown:
        raise _config_error(
            where,
            f"unknown setting(s) {', '.join(map(repr, unknown))}",
            "remove them or correct their spelling; the settings of a source are listed in config/README.md",
        )
    if merged.get("unknown_labels", "error") not in ("error", "missing"):
        raise _config_error(where, f"unknown_labels is {merged['unknown_labels']!r}", "use `error` or `missing`")
    marks = merged.get("test_marks")
    for key in ("comment", "name", "email"):
        for pattern in (marks.get(key) or ()) if isinstance(marks, dict) else ():
            try:
                re.compile(pattern)
            except re.error as err:
                raise _config_error(
                    where,
                    f"test_marks.{key}: {pattern!r} is not a regular expression ({err})",
                    "write a Python regular expression, e.g. '^proef' (case is ignored)",
                ) from None
    problem = check_date_format(merged["date_format"]) if merged.get("date_format") else None
    if problem:
        raise _config_error(
            where, f"date_format {merged['date_format']!r}: {problem}", "see `date_format` in config/README.md"
        )


def _fields(spec: dict, where: str) -> Fields:
    known = {f.name for f in dataclasses.fields(Fields)}
    unknown = sorted(set(spec) - known)
    if unknown:
        raise _config_error(
            where, f"unknown field(s) {', '.join(map(repr, unknown))} under `fields`", f"use {', '.join(sorted(known))}"
        )
    values = dict(spec)
    completed = values.get("completed")
    if isinstance(completed, dict):
        values["completed"] = Marker.from_config(completed)
    elif completed not in (None, "always") and not isinstance(completed, Marker):
        raise _config_error(
            where,
            f"fields.completed is {completed!r}",
            "use `always` or {column: ..., values: [...]} or {column: ..., nonempty: true}",
        )
    if isinstance(values.get("test"), dict):
        values["test"] = Marker.from_config(values["test"])
    return Fields(**values)


def _config_error(where: str, message: str, fix: str) -> InputError:
    return InputError("config", f"{where}: {message}", fix=fix)


@dataclass(frozen=True)
class FileUnit:
    region: str
    file_id: str
    path: str  # relative to input_dir, as the region sent it
    settings: SourceSettings  # the source's settings merged with this file's and its wave's overrides

    @classmethod
    def from_params(cls, region: str, file_id: str, path: str, settings: dict) -> FileUnit:
        """The unit a rule passed as plain values (see `params`)."""
        return cls(region, file_id, path, SourceSettings.from_config(settings, f"regions.{region} ({path})"))

    def params(self) -> dict:
        return {"region": self.region, "file_id": self.file_id, "path": self.path, "settings": self.settings.as_dict()}


def file_id(path: str) -> str:
    """A wildcard-safe id from the file name: 'Monitor 2023(1-141).xlsx' -> 'monitor-2023-1-141'."""
    stem = PurePosixPath(path).stem
    return re.sub(r"[^a-z0-9]+", "-", stem.casefold()).strip("-") or "file"


def file_units(config: dict) -> list[FileUnit]:
    units = []
    for region, spec in config["regions"].items():
        seen = {}
        for source in spec["sources"]:
            for entry in source["files"]:
                fid = entry.get("id") or file_id(entry["path"])
                if fid in seen:
                    raise ValueError(
                        f"regions.{region}: two files get the id {fid!r} ({seen[fid]} and {entry['path']}); give one an `id`"
                    )
                seen[fid] = entry["path"]
                settings = SourceSettings.from_config(
                    merged_settings(source, entry), f"regions.{region} ({entry['path']})"
                )
                units.append(FileUnit(region, fid, entry["path"], settings))
    return units


def merged_settings(source: dict, entry: dict) -> dict:
    """Source settings, then the wave's overrides (`waves: {2024: {...}}`), then the file's own."""
    settings = {k: copy.deepcopy(v) for k, v in source.items() if k not in ("files", "waves")}
    wave = entry.get("wave")
    overrides = (source.get("waves") or {}).get(wave) or (source.get("waves") or {}).get(str(wave)) or {}
    if "tool" in overrides:  # the schema checks the source's tool; a wave with another tool is another source
        raise _config_error(
            f"waves.{wave}", "a wave cannot change the tool", "declare that wave's files as a source of their own"
        )
    for layer in (overrides, {k: v for k, v in entry.items() if k not in ("path", "id")}):
        for key, value in layer.items():
            if isinstance(value, dict) and isinstance(settings.get(key), dict):
                settings[key] = {**settings[key], **value}
            else:
                settings[key] = copy.deepcopy(value)
    return settings


def unit(config: dict, region: str, fid: str) -> FileUnit:
    for u in file_units(config):
        if u.region == region and u.file_id == fid:
            return u
    raise KeyError(f"no file {fid!r} in region {region!r}")
