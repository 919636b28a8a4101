"""The SPSS file's data rows written from arrays (report/sav_rows.py) are the bytes pyreadstat writes cell by cell."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from conftest import REPO
from fixtures.columns import float_column
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.report import sav_rows
from borgingsmonitor.report import spreadsheets as S
from borgingsmonitor.report.translate import Translator

Q = load_questionnaire(REPO / "config" / "questionnaire.yaml")
FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, 5.0, 2 / 3, -np.finfo(float).max, float("nan")]),
)
TEXTS = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\0"), max_size=20),
    st.sampled_from(["", " ", "trail ", "é€😀", "x" * 255, "é" * 127]),
)


def column(kind: str, n: int):
    """A strategy for one column of `n` values as `write_sav` hands them to pyreadstat."""
    if kind in ("float", "Float64"):
        return float_column(kind, n, FLOATS)
    texts = st.lists(st.one_of(st.none(), TEXTS), min_size=n, max_size=n).filter(
        lambda v: any(t is not None for t in v)
    )
    return texts.map(lambda v: pd.Series(v, dtype=object))


@st.composite
def frames(draw) -> pd.DataFrame:
    n = draw(st.integers(1, 9))
    kinds = draw(st.lists(st.sampled_from(["float", "Float64", "text"]), min_size=1, max_size=6))
    return pd.DataFrame({f"v{i}_{kind}": draw(column(kind, n)) for i, kind in enumerate(kinds)})


def metadata(frame: pd.DataFrame) -> dict:
    labels = {name: f"label of {name}" for name in frame.columns[::2]}
    values = {name: {1.0: "one", 5.0: "five"} for name in frame.columns if "float" in name}
    return {"column_labels": labels, "variable_value_labels": values, "file_label": "a test"}


def plain_and_fast(frame: pd.DataFrame, tmp_path) -> tuple[bytes, bytes]:
    pyreadstat.write_sav(frame, str(tmp_path / "plain.sav"), **metadata(frame))
    sav_rows.write(frame, tmp_path / "fast.sav", **metadata(frame))
    for name in ("plain", "fast"):
        S.fix_sav_timestamp(tmp_path / f"{name}.sav")
    return (tmp_path / "plain.sav").read_bytes(), (tmp_path / "fast.sav").read_bytes()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frames())
@example(pd.DataFrame({"empty": ["", None]}))  # no text longer than 0 bytes
def test_fast_rows_are_the_bytes_pyreadstat_writes(tmp_path, frame):
    plain, fast = plain_and_fast(frame, tmp_path)
    assert fast == plain


def clean_responses(n: int) -> pd.DataFrame:
    """Clean data as the pipeline keeps it: texts, categories, Likert items and scale means, with gaps."""
    rng = np.random.default_rng(5)
    items = [item.code for item in Q.items]
    frame = pd.DataFrame(
        {
            "region": rng.choice(["helmond", "den-bosch", "Zoë & co", None], n),
            "partnership_id": pd.array(rng.choice(["HEL-01", "DBO-02", "a longer id", None], n), dtype="string"),
            "wave": rng.choice([2023, 2024], n),
            "role": pd.array(rng.choice([*Q.questions["role"].options_nl, None], n), dtype="string"),
            "years_involved": pd.array(rng.choice([1.5, 3.0, None], n), dtype="Float64"),
            **{code: pd.array(rng.choice([1, 2, 3, 4, 5, None], n), dtype="Int64") for code in items},
            "REL": np.where(rng.random(n) < 0.1, np.nan, np.round(rng.normal(3, 1, n), 3)),
            "flag": rng.random(n) < 0.5,
        }
    )
    return frame


def test_clean_data_is_the_bytes_pyreadstat_writes_in_many_chunks(tmp_path, monkeypatch):
    t = Translator("nl", Q)
    S.write_sav(clean_responses(2000), Q, tmp_path / "fast.sav", t)
    monkeypatch.setattr(sav_rows, "ROWS_PER_CHUNK", 77)
    S.write_sav(clean_responses(2000), Q, tmp_path / "chunked.sav", t)
    monkeypatch.setattr(sav_rows, "write", unsupported)
    S.write_sav(clean_responses(2000), Q, tmp_path / "plain.sav", t)
    plain = (tmp_path / "plain.sav").read_bytes()
    assert (tmp_path / "fast.sav").read_bytes() == plain
    assert (tmp_path / "chunked.sav").read_bytes() == plain


def unsupported(*args, **kwargs):
    raise sav_rows.Unsupported("the test asks for every cell")


@pytest.mark.parametrize(
    "values",
    [
        ["x" * 256, "y"],  # written in segments
        ["a\0b", "c"],  # cut at the NUL
        [None, None],  # no type to tell
        [1, "a"],  # not text alone
    ],
)
def test_what_the_fast_rows_do_not_write_pyreadstat_writes(tmp_path, caplog, values):
    frame = pd.DataFrame({"a": pd.Series(values, dtype=object), "b": [1.5, np.nan]})
    with pytest.raises(sav_rows.Unsupported):
        sav_rows.write(frame, tmp_path / "fast.sav")
    assert not (tmp_path / "fast.sav").exists()


def test_write_sav_falls_back_to_pyreadstat(tmp_path, caplog):
    frame = clean_responses(50).assign(comment=["x" * 300] + [None] * 49)
    with caplog.at_level(logging.INFO):
        S.write_sav(frame, Q, tmp_path / "r.sav", Translator("nl", Q))
    assert "every cell written by pyreadstat" in caplog.text
    data, _ = pyreadstat.read_sav(str(tmp_path / "r.sav"))
    assert data.loc[0, "comment"] == "x" * 300 and data.loc[1, "comment"] == ""


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.just(np.nan), st.just(pd.NA), st.sampled_from(["Docent", "Teamleider", "", "x"])),
        max_size=30,
    ),
    st.sampled_from(["object", "string"]),
)
def test_coded_categories_are_the_mapped_ones(values, dtype):
    column = pd.Series(values, dtype=object).astype(dtype)
    codes = {"Docent": 1.0, "Teamleider": 2.0}
    expected = column.astype(object).map(codes).astype(float).to_numpy()
    assert _bits(S.coded(column, codes)) == _bits(expected)


def test_coded_leaves_other_values_to_map():
    column = pd.Series([1, True, 1.0, "Docent", None], dtype=object)
    codes = {"Docent": 1.0, 1: 2.0}
    assert _bits(S.coded(column, codes)) == _bits(column.map(codes).astype(float).to_numpy())


def _bits(values: np.ndarray) -> bytes:
    return np.asarray(values, dtype=float).tobytes()
