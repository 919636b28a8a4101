"""A new secret changes the respondent keys and nothing else: the example ingested and cleaned with
two secrets gives the same clean data apart from the keys, the same ledger, and keys that link the
same responses (the panel is the same, only its labels differ)."""

from __future__ import annotations

import pandas as pd
import pytest
from fixtures.example import ingest_and_clean

from borgingsmonitor.core.responses import NOT_ANALYSED

SECRETS = ("first-secret-for-the-example-run-0001", "second-secret-for-the-example-run-0002")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = []
    for secret in SECRETS:
        results = tmp_path_factory.mktemp("secret") / "results"
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("BORGING_SECRET", secret)
            ingest_and_clean(results, use_deduce=False)
        out.append(results)
    return out


def test_the_ledger_is_byte_identical(runs):
    for name in ("exclusions.csv", "attrition.csv", "value_issues.csv"):
        assert (runs[0] / "qc" / name).read_bytes() == (runs[1] / "qc" / name).read_bytes(), name


def test_the_clean_data_differs_only_in_the_keys(runs):
    one, two = (pd.read_parquet(r / "clean" / "responses.parquet") for r in runs)
    pd.testing.assert_frame_equal(one.drop(columns="respondent_key"), two.drop(columns="respondent_key"))
    assert "respondent_key" in NOT_ANALYSED  # no analysis sees the keys, so no table or figure can change


def test_every_key_changes_and_the_same_responses_stay_linked(runs):
    one, two = (pd.read_parquet(r / "clean" / "responses.parquet")["respondent_key"] for r in runs)
    known = one.notna()
    assert known.sum() > 100 and known.equals(two.notna())
    assert not set(one[known]) & set(two[known])
    pairs = pd.DataFrame({"one": one[known], "two": two[known]}).drop_duplicates()
    assert pairs["one"].is_unique and pairs["two"].is_unique  # a one-to-one relabelling
    assert one[known].duplicated().any(), "the example has returning respondents, so the linking is tested"
