"""The exclusion details: English in the CSV, translated without loss for the QC workbook."""

from __future__ import annotations

import pandas as pd
from fixtures.clean import harmonised_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borgingsmonitor.clean import details
from borgingsmonitor.clean.rules import CleaningSettings, apply_rules
from borgingsmonitor.core.contracts import TEST_MARKS

FIELD_VALUES = {
    "row": st.integers(0, 10**7).map(str),
    "seconds": st.integers(0, 10**5).map(str),
    "limit": st.floats(1, 1e6, allow_nan=False).map(lambda v: f"{v:g}"),
    "file": st.text(min_size=1, max_size=40),
    "answer": st.text(max_size=40).map(repr),
}


@st.composite
def stored_detail(draw):
    key = draw(st.sampled_from(sorted(details.DETAILS)))
    fields = {
        name: draw(FIELD_VALUES[name]) for name in details.FIELDS if "{" + name + "}" in details.DETAILS[key]["en"]
    }
    return key, fields


@settings(suppress_health_check=[HealthCheck.too_slow])  # the machine is shared; draws are cheap
@given(stored_detail())
def test_every_detail_comes_back_in_dutch_exactly(key_fields):
    key, fields = key_fields
    stored = details.detail(key, **fields)
    assert details.translate(stored, "nl") == details.DETAILS[key]["nl"].format(**fields)
    assert details.translate(stored, "en") == stored


@given(st.sampled_from(TEST_MARKS))
def test_a_row_outside_the_window_with_a_test_mark_keeps_both_in_dutch(mark):
    stored = details.detail("outside_window") + details.SEPARATOR + details.detail(f"mark_{mark}")
    assert details.translate(stored, "nl") == (
        details.DETAILS["outside_window"]["nl"] + details.SEPARATOR + details.DETAILS[f"mark_{mark}"]["nl"]
    )


def test_every_text_has_a_dutch_version_and_only_numbers_read_the_same():
    for key, texts in details.DETAILS.items():
        assert set(texts) == {"en", "nl"}, key
        assert (texts["nl"] == texts["en"]) == (key == "too_fast"), key


def test_an_unknown_text_stays_as_it_is():
    assert details.translate("dropped by hand", "nl") == "dropped by hand"


def test_the_rules_write_details_that_all_translate():
    """Every detail a cleaning run writes has a template (a new rule text without one would stay English)."""
    window = {"helmond": {"2024": ["2024-03-08", "2024-04-12"]}}
    specs = [
        {"consent": "no", "respondent_key": None},
        {"completed": False, "respondent_key": None},
        {"respondent_key": "k" * 20, "submitted": pd.Timestamp("2024-03-10")},
        {"respondent_key": "k" * 20, "submitted": pd.Timestamp("2024-03-11")},
        {"test_marker": "comment", "respondent_key": None},
        {"submitted": pd.Timestamp("2024-05-01"), "test_marker": "name", "respondent_key": None},
        {"duration_s": 12.0, "respondent_key": None},
        {"partnership_id": None, "partnership_value": "HEL-99; x", "respondent_key": None},
    ]
    table = harmonised_rows(
        [
            {"region": "helmond", "wave": 2024, "source_file": "helmond/a.csv", "source_row": i} | s
            for i, s in enumerate(specs)
        ]
    )
    _, exclusions = apply_rules(table, CleaningSettings(window))
    assert len(exclusions) == 7
    for text in exclusions["detail"]:
        dutch = details.translate(text, "nl")
        assert dutch != text or text.endswith(" s"), text
