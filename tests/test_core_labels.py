"""Label matching: case and white space never matter, a label outside the set never matches, and
don't-know is missing (not unknown)."""

from __future__ import annotations

import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from ingest_files import Q

from borgingsmonitor.core.labels import MISSING, LabelSet, apply_label_set, normalise_label
from borgingsmonitor.ingest.harmonise import build_label_sets

PILOT_SETS = {
    "likert": {
        "values": {3: ["Niet eens/niet oneens", "Neutral"]},
        "missing": ["Weet niet", "N.v.t.", "Weet niet/nvt", "Geen mening"],
    }
}
SETS = build_label_sets(Q, PILOT_SETS)
LIKERT = SETS["likert"]
KNOWN = [(label, i + 1) for i, label in enumerate(Q.likert_labels_nl)] + [
    (label, i + 1) for i, label in enumerate(Q.likert_labels_en)
]
KNOWN += [("Niet eens/niet oneens", 3), ("Neutral", 3)]
DONT_KNOW = ["Weet niet / n.v.t.", "Don't know / not applicable", "Weet niet", "N.v.t.", "Weet niet/nvt", "Geen mening"]
SPACE = st.sampled_from([" ", "  ", "\t", "\n", "\r\n", "\xa0", "\u2003"])
SETTINGS = settings(max_examples=300, deadline=None)


@st.composite
def respelled(draw, label: str):
    """The label with each letter's case flipped at random and white space put anywhere."""
    out = []
    for char in label:
        if draw(st.booleans()):
            out.append(draw(SPACE))
        out.append(char.upper() if draw(st.booleans()) else char.lower())
    if draw(st.booleans()):
        out.append(draw(SPACE))
    return "".join(out)


@given(st.sampled_from(KNOWN).flatmap(lambda pair: st.tuples(st.just(pair[1]), respelled(pair[0]))))
@SETTINGS
def test_case_and_white_space_never_matter(case):
    value, spelling = case
    assert LIKERT.match(spelling) == value
    mapped, unknown, mask = apply_label_set(pd.Series([spelling, None]), LIKERT)
    assert mapped.tolist() == [value, None] and not unknown and not mask.any()


@given(st.sampled_from(Q.questions["role"].options_nl + Q.questions["role"].options_en).flatmap(respelled))
@SETTINGS
def test_choice_labels_in_either_language_match_the_dutch_option(spelling):
    hit = SETS["role"].match(spelling)
    assert hit in Q.questions["role"].options_nl
    assert normalise_label(spelling) in {
        normalise_label(o) for o in (hit, Q.questions["role"].options_en[Q.questions["role"].options_nl.index(hit)])
    }


@given(st.text(alphabet=st.characters(codec="latin-1", categories=["L", "N", "P", "Zs"]), min_size=1, max_size=40))
@SETTINGS
def test_a_label_not_in_the_set_is_never_matched(text):
    assume(normalise_label(text) not in LIKERT.lookup and text.strip())
    assert LIKERT.match(text) is None
    mapped, unknown, mask = apply_label_set(pd.Series(["Mee eens", text]), LIKERT)
    assert mapped.tolist() == [4, None]
    assert mask.tolist() == [False, True]
    assert unknown == {text.strip(): 1}


@given(
    st.sampled_from(
        [
            "Mee",
            "eens",
            "Helemaal",
            "Helemaal mee",
            "Mee eens!",
            "Mee eens.",
            "Mee-eens",
            "4 Mee eens",
            "Niet eens",
            "Weet",
            "n.v.t",
        ]
    )
)
def test_near_misses_are_not_matched(text):
    assert LIKERT.match(text) is None


@given(st.sampled_from(DONT_KNOW).flatmap(respelled), st.integers(min_value=1, max_value=4))
@SETTINGS
def test_dont_know_is_missing_not_unknown(spelling, copies):
    assert LIKERT.match(spelling) is MISSING
    mapped, unknown, mask = apply_label_set(pd.Series([spelling] * copies + ["Mee oneens"]), LIKERT)
    assert mapped.tolist() == [None] * copies + [2]
    assert not unknown and not mask.any()


@given(
    st.text(alphabet=st.characters(codec="latin-1", categories=["L", "N", "P"]), min_size=1, max_size=20).flatmap(
        lambda label: st.tuples(st.just(label), respelled(label))
    )
)
@SETTINGS
def test_a_configured_label_matches_in_any_case_and_spacing(pair):
    label, spelling = pair
    labels = LabelSet.from_config("custom", {"values": {"yes": [label]}})
    assert labels.match(spelling) == "yes"


def test_config_variants_extend_the_built_in_set_without_replacing_it():
    assert LIKERT.match("Neutraal") == 3 and LIKERT.match("niet eens / niet oneens") == 3
    assert LIKERT.match("Strongly agree") == 5
    assert LIKERT.match("3") == 3  # numeric exports carry the value itself


def test_blank_answers_are_missing_and_not_unknown():
    mapped, unknown, mask = apply_label_set(pd.Series(["", "  ", None, float("nan"), pd.NA], dtype=object), LIKERT)
    assert mapped.isna().all() and not unknown and not mask.any()


def test_unknown_counts_per_label():
    _, unknown, mask = apply_label_set(pd.Series(["Eens", " Eens", "eens ", "Oneens", "Mee eens"]), LIKERT)
    assert unknown == {"Eens": 2, "eens": 1, "Oneens": 1}
    assert mask.tolist() == [True, True, True, True, False]


@given(
    st.sampled_from(KNOWN + [(o, o) for o in Q.questions["role"].options_nl]), st.sampled_from(["NFC", "NFD", "NFKD"])
)
def test_unicode_normal_form_never_matters(pair, form):
    import unicodedata

    label, value = pair
    labels = LIKERT if isinstance(value, int) else SETS["role"]
    assert labels.match(unicodedata.normalize(form, label)) == value
    assert SETS["role"].match(unicodedata.normalize("NFD", "Verbinder/coördinator")) == "Verbinder/coördinator"
