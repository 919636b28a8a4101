"""Work once per distinct value: an export repeats the same few answers, identities per wave and
comment texts, so harmonisation looks each distinct value up once and spreads the results by code."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import infer_dtype

# Values of one Python type: equal values are the same value. In a mixed column 1, 1.0 and True are
# equal (and hash alike) but are not the same answer, so those columns take the exact, slower path.
ONE_TYPE = {"string", "integer", "floating", "boolean", "empty"}


@dataclass
class Distinct:
    """The distinct values of a column and, per row, which one it holds."""

    values: list
    codes: np.ndarray
    index: pd.Index

    @classmethod
    def of(cls, column: pd.Series) -> Distinct:
        array = np.asarray(column.array, dtype=object)
        kind = infer_dtype(array, skipna=True)
        if kind in ONE_TYPE:
            codes, values = _factorize(array, kind)
            if codes is None:
                return cls._exact(array, column.index)
            if kind == "floating" and any(v == 0 for v in values):  # 0.0 == -0.0, but they print apart
                return cls._exact(array, column.index)
            missing = np.flatnonzero(codes == -1)
            if len(missing):  # None, NaN, pd.NA and NaT are all missing but not one value: kept apart by type
                code_of_type: dict[type, int] = {}
                for row in missing:
                    missing_type = type(array[row])
                    if missing_type not in code_of_type:
                        code_of_type[missing_type] = len(values)
                        values.append(array[row])
                    codes[row] = code_of_type[missing_type]
            return cls(values, codes, column.index)
        return cls._exact(array, column.index)

    @classmethod
    def _exact(cls, array: np.ndarray, index: pd.Index) -> Distinct:
        first: dict = {}
        codes = np.empty(len(array), dtype=np.intp)
        for row, value in enumerate(array):
            codes[row] = first.setdefault(_key(value), len(first))
        values = [None] * len(first)
        for row, code in enumerate(codes):
            values[code] = array[row]
        return cls(values, codes, index)

    def spread(self, results: Sequence, dtype=object) -> pd.Series:
        """One result per distinct value -> one per row."""
        return pd.Series(_objects(results)[self.codes], index=self.index).astype(dtype)

    def counts(self) -> np.ndarray:
        return np.bincount(self.codes, minlength=len(self.values))


def per_distinct(values: pd.Series, fn: Callable) -> pd.Series:
    """`values.map(fn)` (fn of the value alone), calling fn once per distinct value."""
    d = Distinct.of(values)
    return d.spread([fn(v) for v in d.values])


def per_distinct_many(values: pd.Series, fn_many: Callable[[list], Sequence]) -> pd.Series:
    """Like per_distinct, with one call of fn_many on the list of distinct values (e.g. one batch for
    deduce); fn_many returns one result per value, in order."""
    d = Distinct.of(values)
    return d.spread(fn_many(d.values))


def _factorize(array: np.ndarray, kind: str):
    """(codes with -1 for missing, distinct values in order of appearance), or (None, None).
    Text goes through Arrow: pandas' string hash table stops at a NUL character ('3\\x00A' == '3')."""
    if kind != "string":
        codes, uniques = pd.factorize(array, use_na_sentinel=True)
        return codes, list(uniques)
    try:
        encoded = pa.array(array, type=pa.string(), from_pandas=True).dictionary_encode()
    except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate, or NaT among the text
        return None, None
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.intp)
    return codes, encoded.dictionary.to_pylist()


def _key(value):
    try:
        hash(value)
    except TypeError:
        return (type(value), id(value))
    if isinstance(value, float) and value == 0:
        return ("signed zero", math.copysign(1.0, value))
    return (type(value), value)


def _objects(results: Sequence) -> np.ndarray:
    """A 1-d object array of the results, even when they are tuples or lists."""
    array = np.empty(len(results), dtype=object)
    for i, result in enumerate(results):
        array[i] = result
    return array
