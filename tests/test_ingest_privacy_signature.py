"""Sign-offs are removed from free text; ordinary words that merely start like a greeting are kept."""

import pytest

from borgingsmonitor.ingest.privacy import scrub_text


@pytest.mark.parametrize(
    "text",
    [
        "Het is een groot succes, de groep groeit.",
        "Graag meer tijd.",
        "Route Groen werkt goed.",
        "Grote stappen gezet.",
    ],
)
def test_words_starting_with_gr_survive(text):
    assert scrub_text(text, use_deduce=False) == text


@pytest.mark.parametrize(
    "text, kept",
    [
        ("Dank. Groet, Fleur Vermeulen", "Dank. [naam]"),
        ("Dank voor deze vragenlijst.\n\nGroet, Mohamed van den Heuvel", "Dank voor deze vragenlijst.\n\n[naam]"),
        ("Tot ziens, mvg Jan", "Tot ziens, [naam]"),
        ("Succes! Met vriendelijke groeten,\nAnne de Vries", "Succes! [naam]"),
        ("Top. Gr. Piet", "Top. [naam]"),
    ],
)
def test_sign_offs_and_the_names_after_them_are_removed(text, kept):
    assert scrub_text(text, use_deduce=False) == kept
