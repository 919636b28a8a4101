"""The names the pages print: the partnership registry, and each region slug's name.

Kept apart from the report's modules (matplotlib, the models) so the feedback sheets and the region
reports can name regions without importing them.
"""

from __future__ import annotations

import pandas as pd


def read_registry(path) -> pd.DataFrame:
    """The registry with stray spaces stripped from ids and region names."""
    reg = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in reg.columns:
        reg[col] = reg[col].str.strip()
    return reg


def slugify(name: str) -> str:
    return "-".join(str(name).strip().lower().split())


def region_names(registry: pd.DataFrame, responses: pd.DataFrame | None = None) -> dict[str, str]:
    """Region slug -> the registry's region name.

    With the responses, a slug gets the registry region of its own partnerships, so a slug that is
    not simply the name in lower case (den-bosch for 's-Hertogenbosch) still finds its name.
    """
    if "region" not in registry:
        return {}
    names = {slugify(r): r for r in sorted(registry["region"].unique())}
    if responses is not None and "partnership_id" in registry:
        of_partnership = dict(zip(registry["partnership_id"], registry["region"]))
        pairs = responses[["region", "partnership_id"]].drop_duplicates().astype(str)
        joined = {}
        for slug, pid in sorted(zip(pairs["region"], pairs["partnership_id"].str.strip())):
            if pid in of_partnership:
                joined.setdefault(slug, of_partnership[pid])
        names.update(joined)
    return names


def region_label(slug: str, region_names: dict[str, str] | None) -> str:
    if region_names and slug in region_names:
        return region_names[slug]
    return str(slug).replace("-", " ").title()
