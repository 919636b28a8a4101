"""The one small-cell rule: nothing describes fewer than `min_group_size` respondents.

Every table, figure and feedback sheet that shows groups calls `small_groups` or
`suppress_small`, so the rule lives in one place.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.linalg import null_space

DEFAULT_MIN_GROUP_SIZE = 5


def is_small(n, min_group_size: int = DEFAULT_MIN_GROUP_SIZE):
    """True where a group of size n may not be shown (works on scalars and Series)."""
    return n < min_group_size


def suppress_small(
    table: pd.DataFrame,
    value_columns: list[str],
    n_column: str = "n",
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> pd.DataFrame:
    """Blank `value_columns` where `n_column` is under the minimum; add a `suppressed` flag."""
    out = table.copy()
    small = is_small(out[n_column], min_group_size)
    for col in value_columns:
        out[col] = out[col].astype("Float64").mask(small)
    out["suppressed"] = small.astype(bool)
    return out


# --- Secondary suppression -------------------------------------------------------------------
# Published means come in linked tables: all regions = the sum of the regions, a region = the sum of its
# partnerships, a group over all waves = the sum of its waves, all respondents = the sum of the roles
# (plus those without one). A hidden cell that is the only unknown of such a sum can be recovered by
# subtraction, so more cells are hidden until no sum has a single unknown part and the hidden parts
# of a sum that holds a small group add up to at least `min_group_size` (tau-Argus' rule for linked
# tables, with the smallest cells sacrificed first).

ALL = "all"
CELL_COLUMNS = ["scale", "geo_type", "geo", "wave", "n", "mean", "sd", "suppressed"]
CellKey = tuple[str, str, str]  # (geo_type, geo, wave): geo_type all/region/partnership/role/org_type


def linked_relations(cells: pd.DataFrame) -> list[tuple[CellKey, list[CellKey]]]:
    """Every published sum: (parent cell, its parts), in a fixed order.

    `cells` has geo_type, geo, wave, and parent_type and parent: the geography one level up (a
    partnership's region, a region's `all`; empty for other cells).
    """
    keys = set(zip(cells["geo_type"], cells["geo"], cells["wave"]))
    waves = sorted({w for (_, _, w) in keys if w != ALL})
    children: dict[tuple[str, str], list[tuple[str, str]]] = {}
    pairs = zip(cells["geo_type"], cells["geo"], cells["parent_type"].fillna(""), cells["parent"].fillna(""))
    for t, g, parent_type, parent in sorted(set(pairs)):
        if parent_type:
            children.setdefault((parent_type, parent), []).append((t, g))
    relations = []
    for wave in [ALL, *waves]:
        for (pt, pg), parts in sorted(children.items()):
            relations.append(((pt, pg, wave), [(t, g, wave) for t, g in parts if (t, g, wave) in keys]))
    for t, g in sorted({(t, g) for (t, g, w) in keys if w != ALL}):
        relations.append(((t, g, ALL), [(t, g, w) for w in waves if (t, g, w) in keys]))
    for margin in ("role", "org_type"):
        parts = sorted(k for k in keys if k[0] == margin)
        if parts:
            relations.append(((ALL, ALL, ALL), parts))
    return [(p, c) for p, c in relations if p in keys and c]


def _violation(n: dict, parent: CellKey, parts: list[CellKey], hidden: set, k: int) -> bool:
    """True when a sum gives a hidden cell away: it has one unknown term (a hidden parent counts), or
    its unknown terms hold a small group and together describe fewer than k respondents."""
    remainder = _remainder(n, parent, parts)
    unknown = [n[c] for c in parts if c in hidden and n[c] > 0]  # what the reader does not see
    sensitive = any(0 < n[c] < k for c in parts if c in hidden) or 0 < remainder < k
    if remainder > 0:
        unknown.append(remainder)
    if parent in hidden:
        return n[parent] > 0 and not unknown  # the parent is the sum of what is shown
    if not unknown:
        return False
    if len(unknown) == 1:  # one unknown term: recovered by subtraction, unless an unpublished remainder >= k
        return not (remainder >= k and not any(c in hidden and n[c] > 0 for c in parts))
    return sensitive and sum(unknown) < k


def secondary_suppression(
    n: dict, relations, min_group_size: int = DEFAULT_MIN_GROUP_SIZE, show_zero: bool = False
) -> set:
    """The cells to hide: every cell under the minimum, and as few more (smallest first) as protect them.

    First no sum may have a single unknown part (or small hidden parts adding up to less than the
    minimum); then a linear-algebra audit of all sums together catches the chains that rule misses.
    In a table of counts an empty cell tells nothing about anyone (`show_zero`); a mean of nobody
    does not exist, so there it is hidden.
    """
    hidden = {c for c, v in n.items() if is_small(v, min_group_size) and not (show_zero and v == 0)}
    holding = _relations_of(relations)
    pending = list(range(len(relations)))
    while True:
        _protect_each_sum(n, relations, hidden, min_group_size, holding, pending)
        exposed = recoverable(n, relations, hidden, min_group_size, one_per_group=True)
        if not exposed:
            return hidden
        for cell in sorted(exposed):  # one sacrifice per independent group of sums, then audit again
            added = _sacrifice(n, relations, hidden, cell)
            hidden.add(added)
            pending = sorted({*pending, *holding.get(added, ())})


def _relations_of(relations) -> dict:
    """cell -> indices of the sums it is a term of (as parent or part)."""
    out: dict = {}
    for r, (parent, parts) in enumerate(relations):
        for c in (parent, *parts):
            out.setdefault(c, []).append(r)
    return out


def _protect_each_sum(n: dict, relations, hidden: set, k: int, holding: dict, pending: list) -> None:
    """Hides cells until no sum gives a hidden cell away; after a cell is hidden, only the sums that
    hold it are looked at again."""
    queue, queued = list(pending), set(pending)
    pending.clear()
    while queue:
        r = queue.pop(0)
        queued.discard(r)
        parent, parts = relations[r]
        if not _violation(n, parent, parts, hidden, k):
            continue
        cell = _smallest_shown(n, parts, hidden) or parent
        hidden.add(cell)
        for again in (r, *holding.get(cell, ())):
            if again not in queued:
                queue.append(again)
                queued.add(again)


def _smallest_shown(n: dict, parts, hidden: set):
    shown = sorted((c for c in parts if c not in hidden and n[c] > 0), key=lambda c: (n[c], c))
    return shown[0] if shown else None


def _sacrifice(n: dict, relations, hidden: set, cell) -> CellKey:
    """A further cell to hide so that `cell` no longer follows from the sums: the smallest shown term
    of a sum that holds it, else of any sum that holds a hidden cell."""
    holding = [
        (p, parts) for r, (p, parts) in enumerate(relations) if cell in parts or cell == p or cell == ("remainder", r)
    ]
    touching = [(p, parts) for p, parts in relations if p in hidden or any(c in hidden for c in parts)]
    for group in (holding, touching):
        shown = [c for p, parts in group for c in (p, *parts) if c not in hidden and n[c] > 0]
        if shown:
            return min(shown, key=lambda c: (n[c], c))
    raise AssertionError(f"cannot protect {cell}")  # unreachable: a recoverable cell needs a shown term


def _unknowns(n: dict, relations, hidden: set) -> list:
    cells = sorted(c for c in hidden if n[c] > 0)
    remainders = [("remainder", r) for r, (parent, parts) in enumerate(relations) if _remainder(n, parent, parts) > 0]
    return cells + remainders


def _remainder(n: dict, parent, parts) -> int:
    """The parent's respondents in none of its published parts (say, those who did not give a role)."""
    return n[parent] - sum(n[c] for c in parts)


def recoverable(
    n: dict, relations, hidden: set, min_group_size: int = DEFAULT_MIN_GROUP_SIZE, one_per_group: bool = False
) -> set:
    """Small groups (hidden cells, or a sum's unpublished remainder, with 0 < n < minimum) whose n, and so
    whose sum of scores, follows from the published cells by solving all sums together.

    The sums are solved per group of unknowns that share a sum (a region, say), which is exact (groups
    share no equation) and keeps a national table cheap; `one_per_group` returns only the first such
    cell of each group (enough to choose the next cell to hide there).
    """
    unknowns = _unknowns(n, relations, hidden)
    if not unknowns:
        return set()
    index = {c: i for i, c in enumerate(unknowns)}
    rows = []
    for r, (parent, parts) in enumerate(relations):
        terms = [(index[c], 1.0) for c in parts if c in index]
        if parent in index:
            terms.append((index[parent], -1.0))
        if ("remainder", r) in index:
            terms.append((index[("remainder", r)], 1.0))
        if terms:
            rows.append(terms)
    size = {c: (n[c] if c[0] != "remainder" else _remainder(n, *relations[c[1]])) for c in unknowns}
    out = set()
    for columns, group_rows in _groups(len(unknowns), rows):
        if not group_rows:  # in no published sum: nothing to solve it from
            continue
        a = np.zeros((len(group_rows), len(columns)))
        where = {c: j for j, c in enumerate(columns)}
        for i, terms in enumerate(group_rows):
            for c, value in terms:
                a[i, where[c]] = value
        free = null_space(a)  # directions the published sums cannot see
        found = sorted(
            unknowns[c]
            for c in columns
            if 0 < size[unknowns[c]] < min_group_size and np.allclose(free[where[c]], 0.0, atol=1e-9)
        )
        out.update(found[:1] if one_per_group else found)
    return out


def _groups(n_unknowns: int, rows: list) -> list[tuple[list[int], list]]:
    """Unknowns linked by a shared sum, with their sums (union-find)."""
    root = list(range(n_unknowns))

    def find(i):
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    for terms in rows:
        first = find(terms[0][0])
        for c, _ in terms[1:]:
            root[find(c)] = first
    columns: dict = {}
    for i in range(n_unknowns):
        columns.setdefault(find(i), []).append(i)
    sums: dict = {}
    for terms in rows:
        sums.setdefault(find(terms[0][0]), []).append(terms)
    return [(cols, sums.get(g, [])) for g, cols in sorted(columns.items())]


def protected_cells(
    responses: pd.DataFrame,
    scales: list[str],
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    margins: tuple[str, ...] = ("role", "org_type"),
) -> pd.DataFrame:
    """n, mean and sd of every scale for every published cell, with primary and secondary suppression.

    Cells: all respondents, each region and each partnership, over all waves and per wave (as far as
    the responses have those columns); each value of the `margins` over all waves. A hidden cell has
    no n, mean or sd.
    """
    scales = list(scales)
    levels = [(t, c) for t, c in (("region", "region"), ("partnership", "partnership_id")) if c in responses]
    waves = (False, True) if "wave" in responses else (False,)
    keyed = [c for c in ("wave", *(c for _, c in levels), *margins) if c in responses]
    codes = {c: group_codes(responses[c]) for c in keyed}
    values = responses[scales]
    frames = [_cell_stats(values, codes, [], ALL, None, by_wave) for by_wave in waves]
    for geo_type, column in levels:
        frames += [_cell_stats(values, codes, [column], geo_type, column, by_wave) for by_wave in waves]
    for margin in margins:
        if margin in responses:
            frames.append(_cell_stats(values, codes, [margin], margin, margin, False))
    cells = pd.concat(frames, ignore_index=True)
    cells[["parent_type", "parent"]] = _parents(responses, cells, levels)
    out = []
    for _, part in cells.groupby("scale", sort=False):
        keys = list(zip(part["geo_type"], part["geo"], part["wave"]))
        n = {k: int(v) for k, v in zip(keys, part["n"])}
        hidden = secondary_suppression(n, linked_relations(part), min_group_size)
        out.append(part.assign(suppressed=[k in hidden for k in keys]))
    table = pd.concat(out, ignore_index=True)
    for column in ("n", "mean", "sd"):
        table[column] = table[column].astype("Float64").mask(table["suppressed"])
    return table[[*CELL_COLUMNS, "parent_type", "parent"]]  # the parents give the sums (`linked_relations`)


def group_codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A group column as (codes, labels): codes index the sorted labels (the values as text, as the
    tables print them), -1 for a missing value. Grouping by integer codes instead of text is far
    cheaper at a million rows and keeps each group's rows in order, so its sums are the same to the
    last bit."""
    raw, uniques = pd.factorize(column)
    text = pd.Series(uniques, dtype=column.dtype).astype(str).to_numpy(dtype=object)
    labels, rank = np.unique(text, return_inverse=True)
    codes = np.append(rank.reshape(-1), -1)[raw]  # raw -1 (missing) takes the appended -1
    return codes, labels


def _parents(responses: pd.DataFrame, cells: pd.DataFrame, levels) -> pd.DataFrame:
    """Each geography cell's parent (parent_type, parent): a top level's is `all`, a partnership's its region."""
    out = pd.DataFrame({"parent_type": "", "parent": ""}, index=cells.index, dtype=object)
    for i, (geo_type, column) in enumerate(levels):
        mine = cells["geo_type"] == geo_type
        if i == 0:
            out.loc[mine, ["parent_type", "parent"]] = [ALL, ALL]
            continue
        up_type, up_column = levels[i - 1]
        first = responses[[column, up_column]].drop_duplicates(column)
        up = dict(zip(first[column].astype(str), first[up_column].astype(str)))
        out.loc[mine, "parent_type"] = up_type
        out.loc[mine, "parent"] = cells.loc[mine, "geo"].map(up)
    return out


STATS = {"n": "count", "mean": "mean", "sd": "std"}


def _cell_stats(values: pd.DataFrame, codes: dict, by, geo_type, column, by_wave) -> pd.DataFrame:
    """count, mean and sd of every scale per group, one row per (group, scale). A missing group value is
    no group."""
    by = [*by, "wave"] if by_wave else list(by)
    scales = list(values.columns)
    if by:
        key, labels = _combined_key([codes[c] for c in by])
        grouped = values.groupby(key, sort=True)
        stats = {name: getattr(grouped, stat)() for name, stat in STATS.items()}  # all scales in one pass each
        present = stats["n"].index >= 0
        stats = {name: table[present] for name, table in stats.items()}
        keys = [labels(g) for g in stats["n"].index]
    else:
        table = values.agg(list(STATS.values()))
        stats = {name: table.loc[[stat]] for name, stat in STATS.items()}
        keys = [()]
    if not keys or not scales:
        return pd.DataFrame([])
    named = [dict(zip(by, k)) for k in keys]
    table = {
        "scale": scales * len(keys),
        "geo_type": geo_type,
        "geo": [(k.get(column, ALL) if column else ALL) for k in named for _ in scales],
        "wave": [k.get("wave", ALL) for k in named for _ in scales],
    }
    for name, frame in stats.items():
        table[name] = frame[scales].to_numpy(dtype=float).reshape(-1)  # group by group, scale by scale
    return pd.DataFrame(table)


def _combined_key(parts: list) -> tuple[np.ndarray, Callable[[int], tuple]]:
    """One integer per row for the combination of group columns, ordered as their labels sort (-1 where
    any is missing), and the labels of a combination."""
    key = np.zeros(len(parts[0][0]), dtype=np.int64)
    missing = np.zeros(len(key), dtype=bool)
    sizes = [len(labels) for _, labels in parts]
    for (code, _), size in zip(parts, sizes):
        key = key * size + code
        missing |= code < 0
    key[missing] = -1

    def labels(g: int) -> tuple:
        out = []
        for (_, names), size in zip(parts[::-1], sizes[::-1]):
            g, i = divmod(g, size)
            out.append(names[i])
        return tuple(out[::-1])

    return key, labels
