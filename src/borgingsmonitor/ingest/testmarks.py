"""Test responses marked by the people who made them.

Regions try their survey before and during fieldwork and leave marks: a comment that is only a test
note ("test", "dit is een test", "TEST - graag verwijderen", "testje coördinator"), a respondent name
such as "Test DLR" or "Test 2", an e-mail address whose local part starts with `test`. These rules
read the raw comment and identity columns at ingestion, before those are dropped; the harmonised
table keeps only which kind of mark was found (`test_marker`), never the value.

A comment that merely talks about testing ("we testen een nieuwe stageopdracht") is not a mark: a
test note holds a test word and otherwise only the words a test note is made of (who made it, what
to do with it), plus at most one tag word right after the test word ("Test DLR").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

from borgingsmonitor.core.contracts import TEST_MARKS
from borgingsmonitor.core.distinct import per_distinct
from borgingsmonitor.core.labels import is_blank

# Words that name a test ("testen" and "getest" are verbs: they never take a tag word).
TEST_WORDS = frozenset(
    {
        "test",
        "tests",
        "testje",
        "testjes",
        "testing",
        "testen",
        "getest",
        "testrespons",
        "testresponse",
        "testinvulling",
        "testpersoon",
        "testgebruiker",
        "testaccount",
        "testuser",
        "proefinvulling",
    }
)
TAGGABLE = frozenset(
    {"test", "tests", "testje", "testjes", "testing", "testpersoon", "testgebruiker", "testaccount", "testuser"}
)
# What a test note may say besides the test word, in Dutch and English.
NOTE_WORDS = frozenset(
    """
    dit is een het de van door voor alleen maar even nog ff weer ok oke okay ja nee a u b aub svp graag
    verwijderen verwijder verwijderd weggooien weg negeren negeer wissen niet meenemen meetellen gebruiken mag kan
    enquete vragenlijst invulling respons antwoord antwoorden
    this a an the just only again by from of please pls delete remove removed ignore discard do don t not use count
    include survey response answer
""".split()
)
MAX_NOTE_WORDS = 12
WORD = re.compile(r"[^\W_]+")
NUMBERED = re.compile(r"^(test|testje|proef)?\d+$")  # "2" in "Test 2", or "test123"
EMAIL_LOCAL = re.compile(r"^test(?:s|je|jes|ing|er|account|user|gebruiker|persoon)?(?![a-z])")

# Identity columns the tools write (found by name, case and spaces ignored); a source may add its own.
NAME_COLUMNS = (
    "firstname",
    "lastname",
    "RecipientFirstName",
    "RecipientLastName",
    "naam",
    "name",
    "voornaam",
    "achternaam",
)
EMAIL_COLUMNS = ("email", "e-mail", "emailadres", "e-mailadres", "RecipientEmail")


@dataclass(frozen=True)
class MarkSettings:
    """A source's `test_marks` (config/README.md): the built-in rules, extra patterns, extra columns."""

    builtin: bool = True
    comment: tuple[str, ...] = ()  # regular expressions, case-insensitive, searched in the value
    name: tuple[str, ...] = ()
    email: tuple[str, ...] = ()
    name_columns: tuple[str, ...] = ()
    email_columns: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, spec: dict | MarkSettings | None) -> MarkSettings:
        if isinstance(spec, cls):
            return spec
        spec = dict(spec or {})
        return cls(
            bool(spec.get("builtin", True)),
            *(tuple(spec.get(k) or ()) for k in ("comment", "name", "email", "name_columns", "email_columns")),
        )


def words(text: str) -> list[str]:
    """Lower-case words without accents: 'Testje coördinator!' -> ['testje', 'coordinator']."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", str(text)) if not unicodedata.combining(c))
    return WORD.findall(plain.casefold())


def is_test_note(text) -> bool:
    """The built-in rule for a comment: only a test note, not a comment about testing."""
    tokens = words(text)
    if (
        not tokens
        or len(tokens) > MAX_NOTE_WORDS
        or not any(t in TEST_WORDS or NUMBERED.match(t) and not t.isdigit() for t in tokens)
    ):
        return False
    tags = 0
    for previous, token in zip([None, *tokens], tokens):
        if token in TEST_WORDS or token in NOTE_WORDS or NUMBERED.match(token):
            continue
        if previous in TAGGABLE and tags == 0:
            tags += 1  # "Test DLR", "testje coördinator": who made it
            continue
        return False
    return True


def is_test_name(name) -> bool:
    """The built-in rule for a name: it starts with a test word ("Test DLR", "Test 2", "testpersoon")."""
    tokens = words(name)
    return 0 < len(tokens) <= 3 and (
        tokens[0] in TEST_WORDS or bool(NUMBERED.match(tokens[0])) and not tokens[0].isdigit()
    )


def is_test_email(address) -> bool:
    """The built-in rule for an e-mail address: its local part starts with `test` (not 'testerink')."""
    text = str(address).strip().casefold()
    return "@" in text and bool(EMAIL_LOCAL.match(text.split("@", 1)[0]))


def _rule(builtin, patterns: tuple[str, ...], use_builtin: bool):
    compiled = [re.compile(p, re.IGNORECASE) for p in patterns]

    def marked(value) -> bool:
        if is_blank(value):
            return False
        return (use_builtin and builtin(value)) or any(p.search(str(value)) for p in compiled)

    return marked


def find_test_marks(
    index: pd.Index,
    settings: MarkSettings,
    tool: pd.Series,
    comment: pd.Series | None,
    names: list[pd.Series],
    emails: list[pd.Series],
) -> pd.Series:
    """Per row, the first mark found (TEST_MARKS order: tool, comment, name, e-mail), else missing."""
    found = {
        "tool": tool.astype(bool),
        "comment": _any(
            [comment] if comment is not None else [], _rule(is_test_note, settings.comment, settings.builtin), index
        ),
        "name": _any([_full_name(names)] if names else [], _rule(is_test_name, settings.name, settings.builtin), index),
        "e-mail": _any(emails, _rule(is_test_email, settings.email, settings.builtin), index),
    }
    marker = pd.Series(pd.NA, index=index, dtype="string")
    for kind in reversed(TEST_MARKS):
        marker = marker.mask(found[kind], kind)
    return marker


def _any(columns: list[pd.Series], rule, index: pd.Index) -> pd.Series:
    hit = pd.Series(False, index=index)
    for values in columns:
        hit |= per_distinct(values, rule).astype(bool)
    return hit


def _full_name(names: list[pd.Series]) -> pd.Series:
    """First and last name as one value ('Test' + 'DLR'), blanks left out."""
    parts = [n.map(lambda v: "" if is_blank(v) else str(v).strip()) for n in names]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.str.cat(part, sep=" ")
    return joined.str.strip()
