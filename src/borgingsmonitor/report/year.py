"""The report's year: the year the data is about, never a year only one of several regions has.

With `report.year` unset, the report year is the latest wave that more than half of the regions have;
the report names the regions without it. When that is not clear (the latest wave is had by exactly half
of the regions, or no wave by more than half), the run stops and asks for `report.year`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from borgingsmonitor.core.errors import InputError

CLEAN_DATA = "results/clean/responses.parquet"


@dataclass(frozen=True)
class ReportYear:
    year: int
    missing: tuple[str, ...]  # regions in the data without a response in `year`


def regions_per_wave(responses: pd.DataFrame) -> dict[int, set[str]]:
    pairs = responses[["region", "wave"]].dropna().drop_duplicates()
    waves: dict[int, set[str]] = {}
    for region, wave in pairs.itertuples(index=False):
        waves.setdefault(int(wave), set()).add(str(region))
    return waves


def choose_report_year(responses: pd.DataFrame, configured: int | None = None) -> ReportYear:
    """`configured` if set, else the latest wave most regions have (see the module's docstring)."""
    waves = regions_per_wave(responses)
    regions = set().union(*waves.values()) if waves else set()
    if configured:
        year = int(configured)
    else:
        year = _latest_majority_wave(waves, len(regions))
    return ReportYear(year, tuple(sorted(regions - waves.get(year, set()))))


def _latest_majority_wave(waves: dict[int, set[str]], n_regions: int) -> int:
    if not waves:
        raise InputError(
            CLEAN_DATA,
            "the clean data has no responses, so there is no report year",
            fix="check the exclusions in results/qc/exclusions.csv",
        )
    for wave in sorted(waves, reverse=True):
        have = len(waves[wave])
        if 2 * have > n_regions:
            return wave
        if 2 * have == n_regions:
            raise _ask_for_year(waves, n_regions, f"exactly half of the regions have wave {wave}")
    raise _ask_for_year(waves, n_regions, "no wave is in more than half of the regions")


def _ask_for_year(waves: dict[int, set[str]], n_regions: int, why: str) -> InputError:
    counts = ", ".join(f"{w}: {len(r)} of {n_regions} regions" for w, r in sorted(waves.items()))
    return InputError(
        CLEAN_DATA,
        f"cannot choose the report year: {why} ({counts})",
        fix="set report.year in the config to the year the report is about",
    )
