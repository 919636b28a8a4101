"""The protected cells grouped by integer codes give the same table, to the last bit, as grouping the
group columns as text (the plain way, kept here as the reference)."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from borgingsmonitor.core import disclosure as D

SCALES = ["REL", "DUR"]
# each partnership in one region (text that sorts differently from numbers, and a partnership called "nan")
REGION_OF = {"a-1": "a", "a-2": "a", "b-1": "b", "10": "B", "9": "10", "nan": "9"}


def plain_protected_cells(responses, scales, min_group_size, margins):
    scales = list(scales)
    levels = [(t, c) for t, c in (("region", "region"), ("partnership", "partnership_id")) if c in responses]
    waves = (False, True) if "wave" in responses else (False,)
    frames = [plain_cell_stats(responses, scales, [], D.ALL, None, by_wave) for by_wave in waves]
    for geo_type, column in levels:
        frames += [plain_cell_stats(responses, scales, [column], geo_type, column, by_wave) for by_wave in waves]
    for margin in margins:
        if margin in responses:
            frames.append(plain_cell_stats(responses, scales, [margin], margin, margin, False))
    cells = pd.concat(frames, ignore_index=True)
    cells[["parent_type", "parent"]] = plain_parents(responses, cells, levels)
    out = []
    for _, part in cells.groupby("scale", sort=False):
        keys = list(zip(part["geo_type"], part["geo"], part["wave"]))
        n = {k: int(v) for k, v in zip(keys, part["n"])}
        hidden = D.secondary_suppression(n, D.linked_relations(part), min_group_size)
        out.append(part.assign(suppressed=[k in hidden for k in keys]))
    table = pd.concat(out, ignore_index=True)
    for column in ("n", "mean", "sd"):
        table[column] = table[column].astype("Float64").mask(table["suppressed"])
    return table[[*D.CELL_COLUMNS, "parent_type", "parent"]]


def plain_parents(responses, cells, levels):
    out = pd.DataFrame({"parent_type": "", "parent": ""}, index=cells.index, dtype=object)
    for i, (geo_type, column) in enumerate(levels):
        mine = cells["geo_type"] == geo_type
        if i == 0:
            out.loc[mine, ["parent_type", "parent"]] = [D.ALL, D.ALL]
            continue
        up_type, up_column = levels[i - 1]
        first = responses.drop_duplicates(column)
        up = dict(zip(first[column].astype(str), first[up_column].astype(str)))
        out.loc[mine, "parent_type"] = up_type
        out.loc[mine, "parent"] = cells.loc[mine, "geo"].map(up)
    return out


def plain_cell_stats(responses, scales, by, geo_type, column, by_wave):
    by = [*by, "wave"] if by_wave else list(by)
    data = responses[[*by, *scales]].dropna(subset=by)
    for c in by:
        data[c] = data[c].astype(str)
    if by:
        stats = data.groupby(by, sort=True, observed=True)[scales].agg(["count", "mean", "std"])
    else:
        stats = data[scales].agg(["count", "mean", "std"]).unstack().to_frame().T
    rows = []
    for key, row in stats.iterrows():
        key = key if isinstance(key, tuple) else (key,)
        labels = dict(zip(by, key))
        for scale in scales:
            rows.append(
                {
                    "scale": scale,
                    "geo_type": geo_type,
                    "geo": labels.get(column, D.ALL) if column else D.ALL,
                    "wave": labels.get("wave", D.ALL),
                    "n": row[(scale, "count")],
                    "mean": row[(scale, "mean")],
                    "sd": row[(scale, "std")],
                }
            )
    return pd.DataFrame(rows)


def frame(rows, wave_as_text: bool) -> pd.DataFrame:
    """rows: (partnership or None, region of a row without partnership, wave, role, REL, DUR)."""
    rows = [(REGION_OF.get(p, r), p, *rest) for p, r, *rest in rows]
    df = pd.DataFrame(rows, columns=["region", "partnership_id", "wave", "role", "REL", "DUR"])
    df["wave"] = df["wave"].astype(str) if wave_as_text else df["wave"].astype("int64")
    return df


row = st.tuples(
    st.sampled_from([*REGION_OF, None]),
    st.sampled_from(["a", "10", None]),
    st.sampled_from([2019, 2020, 2021, 2025]),
    st.sampled_from(["r1", "r2", None]),
    st.one_of(st.none(), st.floats(1, 5, allow_nan=False)).map(lambda v: np.nan if v is None else v),
    st.sampled_from([np.nan, 1.0, 2.5, 3.1, 4.75, 5.0]),
)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(row, min_size=1, max_size=60),
    k=st.integers(1, 6),
    wave_as_text=st.booleans(),
    margins=st.sampled_from([("role", "org_type"), ()]),
)
def test_the_coded_cells_equal_the_plain_ones(rows, k, wave_as_text, margins):
    df = frame(rows, wave_as_text)
    fast = D.protected_cells(df, SCALES, k, margins)
    pd.testing.assert_frame_equal(fast, plain_protected_cells(df, SCALES, k, margins), check_exact=True)


def test_the_coded_cells_equal_the_plain_ones_on_a_national_table():
    """Many rows per group, so the sums' order matters: the means and sds agree to the last bit."""
    rng = np.random.default_rng(3)
    n = 20_000
    df = pd.DataFrame(
        {
            "region": rng.choice([f"r{i}" for i in range(12)], n),
            "partnership_id": rng.choice([f"p{i}" for i in range(90)], n),
            "wave": rng.choice([2019, 2021, 2023, 2025], n),
            "role": rng.choice(["a", "b", "c", None], n),
            "org_type": rng.choice(["x", "y"], n),
            "REL": rng.normal(3.3, 0.7, n),
            "DUR": np.where(rng.random(n) < 0.1, np.nan, rng.normal(3.1, 0.9, n)),
        }
    )
    df["region"] = df["partnership_id"].map(dict(zip(df["partnership_id"], df["region"])))
    fast = D.protected_cells(df, SCALES, 5, ("role", "org_type"))
    pd.testing.assert_frame_equal(fast, plain_protected_cells(df, SCALES, 5, ("role", "org_type")), check_exact=True)
