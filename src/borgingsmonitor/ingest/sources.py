"""From the config to one ingestion unit per raw export file (the fan-out of the workflow)."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True)
class FileUnit:
    region: str
    file_id: str
    path: str  # relative to input_dir, as the region sent it
    settings: dict  # the source's settings merged with this file's and its wave's overrides


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
                units.append(FileUnit(region, fid, entry["path"], merged_settings(source, entry)))
    return units


def merged_settings(source: dict, entry: dict) -> dict:
    """Source settings, then the wave's overrides (`waves: {2024: {...}}`), then the file's own."""
    settings = {k: copy.deepcopy(v) for k, v in source.items() if k not in ("files", "waves")}
    wave = entry.get("wave")
    overrides = (source.get("waves") or {}).get(wave) or (source.get("waves") or {}).get(str(wave)) or {}
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
