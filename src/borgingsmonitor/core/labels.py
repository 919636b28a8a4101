"""Label sets: answer texts (and codes) that mean the same value, matched case- and space-insensitively."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from borgingsmonitor.core.distinct import Distinct

MISSING = object()  # "weet niet / n.v.t.": an answer that counts as missing, not a problem


def normalise_label(value) -> str:
    """Casefold and drop all white space: 'Niet eens / niet oneens ' == 'niet eens/niet oneens'.
    NFKC first: a Mac export may spell 'coördinator' as 'o' plus a combining diaeresis."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).casefold()


@dataclass
class LabelSet:
    name: str
    lookup: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_config(cls, name: str, spec: dict) -> LabelSet:
        lookup: dict[str, object] = {}
        for value, variants in spec.get("values", {}).items():
            target = _typed(value)
            for variant in [value, *variants] if spec.get("match_value_itself", True) else variants:
                lookup[normalise_label(variant)] = target
        for variant in spec.get("missing", []):
            lookup[normalise_label(variant)] = MISSING
        return cls(name, lookup)

    def match(self, value):
        """The value a label stands for, MISSING for don't-know, or None when the set does not know it."""
        return self.lookup.get(normalise_label(value))


def _typed(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    text = str(value)
    return int(text) if text.isdigit() else text


def apply_label_set(values: pd.Series, label_set: LabelSet, numeric: bool = False):
    """Map raw answers to values, looking each distinct answer up once.

    Returns the mapped Series (None for blank, don't-know and unknown; with `numeric`, floats with NaN
    for those and for values that are not numbers), a Counter of unknown raw labels, and the mask of
    rows holding an unknown label.
    """
    d = Distinct.of(values)
    mapped, unknown = _look_up(d.values, label_set)
    unknown_codes = np.array([u is not None for u in unknown], dtype=bool)
    counts = _unknown_counts(unknown, d.counts())
    if numeric:
        result = pd.Series(_as_numbers(mapped)[d.codes], index=values.index)
    else:
        result = d.spread(mapped)
    return result, counts, pd.Series(unknown_codes[d.codes], index=values.index)


@dataclass
class LabelBlock:
    """`apply_label_set(column, label_set, numeric=True)` for each of several columns, as arrays:
    `numbers` and `unknown` hold one row per column (columns x rows); `counts` one Counter per column."""

    numbers: np.ndarray
    unknown: np.ndarray
    counts: list[Counter]


def apply_label_set_block(columns: list[pd.Series], label_set: LabelSet) -> LabelBlock:
    """Numeric answers of several columns of one table (e.g. all Likert items of a file) mapped as one
    block: their distinct answers looked up once, the results spread as arrays."""
    rows = len(columns[0]) if columns else 0
    cells = [np.asarray(column.array, dtype=object) for column in columns]
    d = Distinct.of(pd.Series(np.concatenate(cells) if cells else [], dtype=object))
    mapped, unknown = _look_up(d.values, label_set)
    codes = d.codes.reshape(len(columns), rows)
    is_unknown = np.array([u is not None for u in unknown], dtype=bool)
    counts = [Counter() for _ in columns]
    if is_unknown.any():
        for j in np.flatnonzero(is_unknown[codes].any(axis=1)):
            counts[j] = _unknown_counts(unknown, np.bincount(codes[j], minlength=len(unknown)))
    return LabelBlock(_as_numbers(mapped)[codes], is_unknown[codes], counts)


def _look_up(values: list, label_set: LabelSet) -> tuple[list, list]:
    """Per value: what it maps to (None for blank, don't-know and unknown), and its label when unknown."""
    mapped, unknown = [], []
    for value in values:
        label = None if is_blank(value) else str(value).strip()
        hit = None if label is None else label_set.match(label)
        mapped.append(None if hit is None or hit is MISSING else hit)
        unknown.append(label if label is not None and hit is None else None)
    return mapped, unknown


def _unknown_counts(unknown: list, counts: np.ndarray) -> Counter:
    found = Counter()
    for label, n in zip(unknown, counts):
        if label is not None and n:
            found[label] += int(n)
    return found


def _as_numbers(mapped: list) -> np.ndarray:
    return pd.to_numeric(pd.Series(mapped, dtype=object), errors="coerce").to_numpy(dtype=float)


def is_blank(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and value.strip() == ""
