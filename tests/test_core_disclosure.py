"""Disclosure control: no hidden small group can be recovered from the published cells."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borgingsmonitor.core.disclosure import ALL, linked_relations, protected_cells, recoverable

K = 5


def responses(sizes: dict, roles: int = 2, missing_role_every: int = 0) -> pd.DataFrame:
    """sizes: (region, partnership, wave) -> number of respondents; scores vary so sd exists."""
    rows = []
    for (region, pid, wave), size in sizes.items():
        for i in range(size):
            role = None if missing_role_every and i % missing_role_every == 0 else f"role{i % roles}"
            rows.append({"region": region, "partnership_id": pid, "wave": wave, "role": role, "REL": 1.0 + (i % 5)})
    return pd.DataFrame(rows)


def subtraction_attack(cells: pd.DataFrame, true_n: dict) -> set:
    """What an attacker learns by repeated subtraction: cells whose n follows from a sum with one unknown."""
    keys = list(zip(cells["geo_type"], cells["geo"], cells["wave"]))
    known = {k: int(v) for k, v, s in zip(keys, cells["n"], cells["suppressed"]) if not s}
    relations = linked_relations(cells.assign(**_parents_of(cells)))
    learned = set()
    progress = True
    while progress:
        progress = False
        for parent, parts in relations:
            # a sum without an unpublished remainder: parent = sum of parts
            if sum(true_n[c] for c in parts) != true_n[parent]:
                continue
            unknown = [c for c in [parent, *parts] if c not in known]
            if len(unknown) == 1:
                c = unknown[0]
                total = sum(known[p] for p in parts if p in known)
                known[c] = total if c == parent else known[parent] - total
                learned.add(c)
                progress = True
    return learned


def _parents_of(cells):
    region_of = {}
    for pid in cells.loc[cells["geo_type"] == "partnership", "geo"]:
        region_of[pid] = cells.attrs["region_of"][pid]
    parent_type = cells["geo_type"].map({"region": ALL, "partnership": "region"}).fillna("")
    parent = [ALL if t == "region" else region_of.get(g, "") for t, g in zip(cells["geo_type"], cells["geo"])]
    return {"parent_type": parent_type, "parent": parent}


def true_counts(df: pd.DataFrame) -> dict:
    cells = protected_cells(df, ["REL"], min_group_size=1)  # nothing hidden: every true n
    return {k: int(v) for k, v in zip(zip(cells["geo_type"], cells["geo"], cells["wave"]), cells["n"])}


def audit(df: pd.DataFrame, k: int = K):
    cells = protected_cells(df, ["REL"], min_group_size=k)
    cells.attrs["region_of"] = dict(zip(df["partnership_id"], df["region"]))
    n = true_counts(df)
    keys = list(zip(cells["geo_type"], cells["geo"], cells["wave"]))
    hidden = {key for key, s in zip(keys, cells["suppressed"]) if s}
    small = {key for key, v in n.items() if 0 < v < k}
    assert small <= hidden, "every group under the minimum is hidden"
    assert cells.loc[cells["suppressed"], ["n", "mean", "sd"]].isna().all().all(), "a hidden cell shows no n"
    assert not (subtraction_attack(cells, n) & small), "no small group follows by subtraction"
    relations = linked_relations(cells.assign(**_parents_of(cells)))
    assert not recoverable(n, relations, hidden, k), "no small group follows from all sums together"
    return cells, hidden


def test_two_respondents_in_a_new_partnership_cannot_be_recovered():
    """The issue's case: region total minus the visible partnerships gave the hidden one."""
    sizes = {("helmond", f"HEL-0{i}", "2025"): 40 + i for i in range(1, 5)}
    sizes[("helmond", "HEL-09", "2025")] = 2
    sizes[("den-bosch", "DBO-01", "2025")] = 30
    cells, hidden = audit(responses(sizes))
    assert ("partnership", "HEL-09", ALL) in hidden
    shown = cells[(cells["geo_type"] == "partnership") & (cells["wave"] == ALL) & ~cells["suppressed"]]
    region_n = cells.query("geo_type == 'region' and geo == 'helmond' and wave == @ALL")["n"].iloc[0]
    helmond_shown = shown[shown["geo"].str.startswith("HEL")]["n"].sum()
    assert region_n - helmond_shown >= K, "the hidden partnerships together are at least the minimum"
    assert len(hidden & {("partnership", f"HEL-0{i}", ALL) for i in range(1, 10)}) >= 2


def test_missing_role_remainder_is_protected():
    """Two respondents without a role: all minus the roles would describe them."""
    sizes = {("r1", "P1", "2024"): 30, ("r1", "P2", "2024"): 30}
    df = responses(sizes)
    df.loc[df.index[:2], "role"] = None
    cells, hidden = audit(df)
    assert any(key[0] == "role" for key in hidden)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 14), min_size=2, max_size=18), st.integers(2, 7), st.integers(1, 3), st.integers(0, 6))
def test_no_small_group_is_ever_recoverable(sizes, k, waves, missing_role_every):
    table = {}
    for i, size in enumerate(sizes):
        if size:
            table[(f"r{i % 3}", f"P{i % 6}", str(2020 + i % waves))] = (
                table.get((f"r{i % 3}", f"P{i % 6}", str(2020 + i % waves)), 0) + size
            )
    if not table:
        return
    audit(responses(table, missing_role_every=missing_role_every), k)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_simulated_regions_pass_the_audit(seed):
    from fixtures.measure import simulate_responses

    df = simulate_responses(n_per_region_wave=30, seed=seed)
    df.loc[df.index[:2], "partnership_id"] = "NEW-01"
    audit(df[["region", "partnership_id", "wave", "role", "REL"]].assign(wave=lambda d: d["wave"].astype(str)))
