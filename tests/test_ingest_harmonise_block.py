"""The Likert items of a file are mapped as one block (their distinct answers looked up once): the
block must give what mapping each column alone gives (`apply_label_set`, the plain path), down to
the unknown labels, their rows and issues, and the consent mask."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ingest_files import ITEMS, REGION, REGISTRY_REGION, Q, write_registry

from borgingsmonitor.core.contracts import ISSUE_COLUMNS
from borgingsmonitor.core.errors import InputError
from borgingsmonitor.core.labels import apply_label_set, apply_label_set_block
from borgingsmonitor.core.registry import load_registry
from borgingsmonitor.ingest import RawExport
from borgingsmonitor.ingest.harmonise import (
    Context,
    _blanked,
    _dont_know_to_blank,
    _issue_rows,
    _quoted,
    _unknown_label_error,
    build_label_sets,
    harmonise_file,
)
from borgingsmonitor.ingest.sources import FileUnit

SETS = build_label_sets(Q, {"likert": {"values": {3: ["Neutraal"]}, "missing": ["Geen mening"]}})
LIKERT = SETS["likert"]
LABELS = [*Q.likert_labels_nl, *Q.likert_labels_en, "Neutraal", "Geen mening", "Weet niet / n.v.t."]
SETTINGS = settings(max_examples=150, deadline=None)

# What an export's cell can hold: labels (respelled), unknown text, codes as text or numbers (an xlsx or
# .sav cell), out-of-scale codes, blanks of every kind, and values that only Python's types tell apart.
ANSWER = st.one_of(
    st.sampled_from(LABELS),
    st.sampled_from(LABELS).map(lambda label: f"  {label.upper()} "),
    st.sampled_from(["Eens", "eens ", "Oneens", "x", "3\x00", "vijf"]),
    st.sampled_from(["1", "3", "5", " 4 ", "3.0", "0", "7"]),
    st.integers(min_value=0, max_value=9),
    st.sampled_from([1.0, 2.0, 5.0, 0.0, -0.0, 3.5, 9.0]),
    st.sampled_from([None, float("nan"), pd.NA, "", "  ", True, False]),
)


@st.composite
def blocks(draw, min_columns: int = 1, max_columns: int = 6):
    rows = draw(st.integers(min_value=0, max_value=12))
    width = draw(st.integers(min_value=min_columns, max_value=max_columns))
    return [pd.Series(draw(st.lists(ANSWER, min_size=rows, max_size=rows)), dtype=object) for _ in range(width)]


@given(blocks())
@SETTINGS
def test_a_block_equals_each_column_mapped_alone(columns):
    block = apply_label_set_block(columns, LIKERT)
    for j, column in enumerate(columns):
        numbers, unknown, mask = apply_label_set(column, LIKERT, numeric=True)
        np.testing.assert_array_equal(block.numbers[j], numbers.to_numpy())  # NaN equals NaN here
        assert block.unknown[j].tolist() == mask.tolist()
        assert block.counts[j] == unknown


def test_an_empty_block():
    block = apply_label_set_block([pd.Series([], dtype=object)] * 3, LIKERT)
    assert block.numbers.shape == block.unknown.shape == (3, 0) and block.counts == [Counter()] * 3


# --- the whole file: harmonise_file against the plain per-column pass -------------------------------------


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> pd.DataFrame:
    return load_registry(write_registry(tmp_path_factory.mktemp("registry") / "registry.csv"))


def _export(items: list[pd.Series], consent: list, dont_know: dict) -> RawExport:
    data = pd.DataFrame({"toestemming": consent, "route": "TST-01"}, dtype=object)
    for code, values in zip(ITEMS, items):
        data[f"col {code}"] = values.to_numpy()
    data.index.name = "source_row"
    return RawExport(Path("export.csv"), data, dont_know=dont_know)


def _unit(unknown_labels: str) -> FileUnit:
    settings = {
        "tool": "delimited",
        "wave": 2024,
        "fields": {"completed": "always"},
        "items": {code: f"col {code}" for code in ITEMS},
        "questions": {"consent": "toestemming", "partnership": "route"},
        "unknown_labels": unknown_labels,
    }
    return FileUnit.from_params(REGION, "test-file", "export.csv", settings)


def _plain_items(unit: FileUnit, raw: RawExport, out: dict):
    """The per-column pass the block replaced: Int64 items (None: an answer outside 1-5), unknown
    labels per column with their first rows, and the issue rows, consent not yet applied."""
    items, unknown, first_row, issues = {}, {}, {}, []
    for code in ITEMS:
        column = f"col {code}"
        values = _dont_know_to_blank(raw.data[column], raw.dont_know.get(column))
        numeric, unk, mask = apply_label_set(values, LIKERT, numeric=True)
        if (numeric.notna() & ~numeric.isin([1, 2, 3, 4, 5])).any():
            return None, None, None
        if unk:
            unknown[column], first_row[column] = unk, int(mask.idxmax())
        if mask.any():
            issues += _issue_rows(unit, out, mask, code, "unknown_label", values)
        items[code] = numeric.astype("Int64")
    return items, (unknown, first_row), issues


@given(
    blocks(len(ITEMS), len(ITEMS)),
    st.data(),
    st.sampled_from([{}, {9: {9.0}}, {0: {("range", 7.0, 9.0)}, 4: {0.0, 3.0}}]),
)
@settings(max_examples=60, deadline=None)
def test_harmonised_items_equal_the_plain_pass(registry, items, data, dont_know):
    rows = len(items[0])
    consent = data.draw(st.lists(st.sampled_from(["Ja", "Nee", "", "ja "]), min_size=rows, max_size=rows))
    raw = _export(items, consent, {f"col {ITEMS[j]}": codes for j, codes in dont_know.items()})
    ctx = Context(Q, SETS, registry, b"x" * 40, use_deduce=False)
    out = {"wave": pd.Series(2024, index=raw.data.index), "source_row": pd.Series(raw.data.index, index=raw.data.index)}
    expected, unknown, issues = _plain_items(_unit("missing"), raw, out)
    if expected is None:
        with pytest.raises(InputError, match="outside 1-5"):
            harmonise_file(_unit("missing"), raw, ctx, {"registry_region": REGISTRY_REGION})
        return
    result = harmonise_file(_unit("missing"), raw, ctx, {"registry_region": REGISTRY_REGION})
    without = result.table["consent"].ne("yes").fillna(True).to_numpy(dtype=bool)
    for code in ITEMS:
        pd.testing.assert_series_equal(result.table[code], expected[code].mask(without), check_names=False)
    kept = pd.DataFrame(issues, columns=ISSUE_COLUMNS)
    kept = kept[~kept["source_row"].isin(np.flatnonzero(without))].reset_index(drop=True)
    kept["value"] = _quoted(kept["value"], ctx)
    pd.testing.assert_frame_equal(result.issues, kept)
    if unknown[0]:
        with pytest.raises(InputError) as err:
            harmonise_file(_unit("error"), raw, ctx, {"registry_region": REGISTRY_REGION})
        assert str(err.value) == str(_unknown_label_error(_unit("error"), *unknown, _unit("error").settings))


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(["a", None, "c", "d"], dtype="string"),
        pd.Series([1, None, 3, 4], dtype="Int64"),
        pd.Series([1.5, None, 2.5, 4], dtype="Float64"),
        pd.Series(pd.to_datetime(["2020-01-01", None, "2021-01-01", "2022-01-01"])).astype("datetime64[us]"),
        pd.Series(["x", 1, None, 2.0], dtype=object),
    ],
)
def test_blanking_a_column_equals_masking_it(values):
    rows = np.array([True, False, True, False])
    pd.testing.assert_series_equal(_blanked(values, rows), values.mask(rows))
