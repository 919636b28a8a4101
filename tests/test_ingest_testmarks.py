"""Test responses marked by their makers: a comment that is only a test note, a name such as "Test DLR", an
e-mail address test...@; found at ingestion, excluded as `test`, and nothing personal kept to do it."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from ingest_files import limesurvey_settings, msforms_settings, responses, run_ingest, write_limesurvey, write_msforms

from borgingsmonitor.core.errors import InputError
from borgingsmonitor.ingest.sources import SourceSettings
from borgingsmonitor.ingest.testmarks import NOTE_WORDS, is_test_email, is_test_name, is_test_note

TEST_NOTES = [
    "test",
    "Test",
    "Test test",
    "dit is een test",
    "TEST - graag verwijderen",
    "Test, niet meenemen",
    "testje coördinator",
    "testje coo\u0308rdinator",
    "Test DLR",
    "test 2",
    "this is a test, please ignore",
    "Testing",
    "  test.  ",
    "test123",
]
NOT_TEST_NOTES = [
    "we testen een nieuwe stageopdracht",
    "De test met de nieuwe route ging goed, we gaan door",
    "Testen is belangrijk voor de kwaliteit",
    "Prima samenwerking",
    "",
    "protestant",
    "attestatie",
    "contest",
    "2",
    "niet meenemen",
    "Zie de toetsweek: test en evaluatie volgen later in het jaar",
    "tests zijn goed verlopen",
]


@pytest.mark.parametrize("text", TEST_NOTES)
def test_a_comment_that_is_only_a_test_note_is_a_mark(text):
    assert is_test_note(text)


@pytest.mark.parametrize("text", NOT_TEST_NOTES)
def test_a_comment_about_testing_or_without_a_test_word_is_not_a_mark(text):
    assert not is_test_note(text)


@pytest.mark.parametrize(
    "name, marked",
    [
        ("Test DLR", True),
        ("Test 2", True),
        ("test", True),
        ("Testpersoon", True),
        ("TEST Coördinator", True),
        ("Jan de Vries", False),
        ("Tess Testa", False),
        ("Testa", False),
        ("Jan Test", False),
        ("", False),
    ],
)
def test_a_name_that_starts_with_a_test_word_is_a_mark(name, marked):
    assert is_test_name(name) is marked


@pytest.mark.parametrize(
    "address, marked",
    [
        ("test@school.nl", True),
        ("test.dlr.nwv2024@roc.nl", True),
        ("Test1@x.nl", True),
        ("testaccount@x.nl", True),
        ("test_x@x.nl", True),
        ("testerink@x.nl", False),
        ("j.test@x.nl", False),
        ("contest@x.nl", False),
        ("test", False),
        ("tok1x0001QZ", False),
    ],
)
def test_an_email_whose_local_part_starts_with_test_is_a_mark(address, marked):
    assert is_test_email(address) is marked


sentence_words = st.lists(
    st.sampled_from(
        [
            "we",
            "hebben",
            "route",
            "nieuwe",
            "stageopdracht",
            "goed",
            "samenwerking",
            "leerlingen",
            "docenten",
            "bedrijven",
            "school",
        ]
    ),
    min_size=2,
    max_size=8,
)


@given(before=sentence_words, after=sentence_words, word=st.sampled_from(["testen", "getest", "test", "testje"]))
def test_a_sentence_with_a_test_word_inside_is_never_a_test_note(before, after, word):
    """Two or more words of a real sentence around a test word: a comment about testing, kept."""
    assert not is_test_note(" ".join(before + [word] + after))
    assert not is_test_note(" ".join([word] + after))


@given(note=st.lists(st.sampled_from(sorted(NOTE_WORDS)), max_size=6), punct=st.sampled_from(["", ".", "!", " -", ","]))
def test_test_word_with_note_words_is_a_test_note(note, punct):
    assert is_test_note("Test" + punct + " " + " ".join(note))


def test_marks_are_found_at_ingestion_and_only_the_kind_of_mark_is_kept(tmp_path):
    rows = responses(8, seed=3)
    rows[0]["comment"] = "dit is een test"
    rows[1]["comment"] = "We testen een nieuwe stageopdracht met deze route."
    rows[4]["comment"] = "Test, niet meenemen"
    lime = write_limesurvey(tmp_path / "lime.csv", rows)
    table, _ = run_ingest(tmp_path, lime, limesurvey_settings())
    assert table["test_marker"].fillna("").tolist() == ["comment", "", "", "", "comment", "", "", ""]
    assert table.loc[1, "comment"].startswith("We testen")  # a comment about testing is a comment

    rows = responses(6, seed=4)
    rows[1]["name"], rows[3]["email"] = "Test DLR", "test.dlr@roc.nl"
    forms = write_msforms(tmp_path / "forms.xlsx", rows)
    table, _ = run_ingest(tmp_path, forms, msforms_settings())
    assert table["test_marker"].fillna("").tolist() == ["", "name", "", "e-mail", "", ""]
    text = table.astype(str).to_string()
    assert "Test DLR" not in text and "test.dlr" not in text  # nothing personal kept to do it


def test_test_marks_are_configurable_per_source(tmp_path):
    rows = responses(6, seed=5)
    rows[0]["comment"], rows[4]["comment"] = "test", "PROEFRIT regio"
    lime = write_limesurvey(tmp_path / "lime.csv", rows)
    extended = limesurvey_settings() | {"test_marks": {"comment": ["^proefrit"]}}
    table, _ = run_ingest(tmp_path, lime, extended)
    assert table["test_marker"].fillna("").tolist() == ["comment", "", "", "", "comment", ""]
    off = limesurvey_settings() | {"test_marks": {"builtin": False}}
    table, _ = run_ingest(tmp_path, lime, off)
    assert table["test_marker"].isna().all()
    with pytest.raises(InputError, match=r"test_marks\.comment"):
        SourceSettings.from_config(limesurvey_settings() | {"test_marks": {"comment": ["(unclosed"]}})


def test_wave_overrides_and_params_keep_the_test_mark_settings():
    settings = SourceSettings.from_config(
        limesurvey_settings() | {"test_marks": {"name_columns": ["deelnemer"], "builtin": False}}
    )
    again = SourceSettings.from_config(settings.as_dict())
    assert again.test_marks == settings.test_marks and again.test_marks.name_columns == ("deelnemer",)


def test_each_mark_gives_its_own_exclusion_detail():
    from fixtures.clean import harmonised_rows

    from borgingsmonitor.clean.rules import CleaningSettings, apply_rules

    table = harmonised_rows(
        list(
            {"region": "helmond", "wave": 2024, "source_file": "a.csv", "source_row": i, "test_marker": m}
            for i, m in enumerate(["tool", "comment", "name", "e-mail", None])
        )
    )
    table["submitted"] = table["submitted"].mask(table.index == 3, pd.Timestamp("2024-01-01"))
    _, exclusions = apply_rules(table, CleaningSettings({"helmond": {"2024": ["2024-03-08", "2024-04-12"]}}))
    assert exclusions.set_index("source_row")["detail"].to_dict() == {
        0: "marked as test or preview by the tool",
        1: "test mark in comment",
        2: "test mark in name",
        3: "submitted outside the fieldwork window; test mark in e-mail",
    }
    assert set(exclusions["reason"]) == {"test"}
