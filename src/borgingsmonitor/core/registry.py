"""The central partnership registry and how survey answers resolve to its ids."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from borgingsmonitor.core.distinct import per_distinct
from borgingsmonitor.core.errors import InputError
from borgingsmonitor.core.labels import is_blank, normalise_label
from borgingsmonitor.core.paths import check_name

REGISTRY_COLUMNS = ("partnership_id", "region", "name", "start_year", "funding_end_year", "stopped_year")


def load_registry(path: str | Path) -> pd.DataFrame:
    """Read the registry; ids, names and regions are stripped of stray spaces."""
    path = Path(path)
    if not path.exists():
        raise InputError(
            path, "the partnership registry does not exist", fix="set `registry` in the config to the registry CSV"
        )
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in REGISTRY_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            path,
            f"the registry lacks the column(s) {', '.join(missing)}",
            column=missing[0],
            fix="add the column(s); the registry needs " + ", ".join(REGISTRY_COLUMNS),
        )
    for col in table.columns:
        table[col] = table[col].str.strip()
    for col in ("start_year", "funding_end_year", "stopped_year"):
        bad = table[col].ne("") & ~table[col].str.fullmatch(r"\d{4}")
        if bad.any():
            row = int(bad.idxmax())
            raise InputError(
                path,
                f"{table.loc[row, col]!r} is not a year",
                row=row,
                column=col,
                fix="write a four-digit year, or leave stopped_year empty for a running partnership",
            )
        table[col] = pd.to_numeric(table[col].replace("", None)).astype("Int64")
    for row, pid in enumerate(table["partnership_id"]):
        check_name(pid, path, row=row, column="partnership_id")  # it names the partnership's feedback sheet
    dupes = table["partnership_id"].duplicated()
    if dupes.any():
        row = int(dupes.idxmax())
        raise InputError(
            path,
            f"partnership id {table.loc[row, 'partnership_id']!r} appears twice",
            row=row,
            column="partnership_id",
            fix="give every partnership one row",
        )
    return table


class PartnershipResolver:
    """Resolves an answer (an id, a name or a declared variant) to a registry id within one region."""

    def __init__(self, registry: pd.DataFrame, registry_region: str, aliases: dict[str, str] | None = None):
        rows = registry[registry["region"].map(normalise_label) == normalise_label(registry_region)]
        self.lookup: dict[str, str] = {}
        for pid, name in zip(rows["partnership_id"], rows["name"]):
            self.lookup[normalise_label(pid)] = pid
            self.lookup[normalise_label(name)] = pid
        known = set(registry["partnership_id"])
        for variant, pid in (aliases or {}).items():
            if pid not in known:
                raise InputError(
                    "config",
                    f"the alias {variant!r} points to {pid!r}, which is not in the registry",
                    column="partnership_aliases",
                    fix="use an id from the registry",
                )
            self.lookup[normalise_label(variant)] = pid

    def resolve(self, values: pd.Series) -> pd.Series:
        return per_distinct(values, lambda v: None if is_blank(v) else self.lookup.get(normalise_label(str(v).strip())))
