"""The harmonised table's contract catches a bad value and names its column and the value."""

from __future__ import annotations

import pandera.errors
import pytest
from ingest_files import QUESTIONNAIRE, limesurvey_settings, responses, run_ingest, write_limesurvey

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.ingest.schema import harmonised_columns, harmonised_schema

Q = load_questionnaire(QUESTIONNAIRE)
ROWS = responses(6, seed=3)


@pytest.fixture
def table(tmp_path):
    table, _ = run_ingest(tmp_path, write_limesurvey(tmp_path / "ls.csv", ROWS), limesurvey_settings())
    return table


def test_ingested_rows_pass_and_keep_the_column_order(table):
    assert list(table.columns) == harmonised_columns(Q)
    harmonised_schema(Q).validate(table.copy(), lazy=True)


@pytest.mark.parametrize(("column", "value"), [("respondent_key", "not-a-key"), ("region", "Regio Noord")])
def test_a_value_outside_the_pattern_is_named(table, column, value):
    table[column] = table[column].astype(object)
    table.loc[1, column] = value
    with pytest.raises(pandera.errors.SchemaErrors) as err:
        harmonised_schema(Q).validate(table, lazy=True)
    assert column in str(err.value) and value in str(err.value)


@pytest.mark.parametrize("column", ["region", "source_file", "tool"])
def test_a_value_that_is_not_text_is_named(table, column):
    table[column] = table[column].astype(object)
    table.loc[2, column] = 20240
    with pytest.raises(pandera.errors.SchemaErrors) as err:
        harmonised_schema(Q).validate(table, lazy=True)
    assert column in str(err.value) and "20240" in str(err.value) and "every value is text" in str(err.value)
