"""The `detail` texts of exclusions.csv, in every report language, written once.

The CSV is the results contract and stays in English whatever the report language, so a change of
language never reruns the cleaning. People read the QC workbook, which shows the same texts in the
report language: `translate` turns a stored English detail back into its template and fields.
"""

from __future__ import annotations

import re
from functools import cache

SEPARATOR = "; "  # one row caught for two reasons of one rule (outside the window and a test mark)

FIELDS = {"row": r"\d+", "seconds": r"\S+", "limit": r"\S+", "file": ".+", "answer": ".*"}  # what each field can hold

DETAILS = {
    "consent_no": {"en": "consent: no", "nl": "toestemming: nee"},
    "consent_unanswered": {"en": "consent not answered", "nl": "toestemming niet beantwoord"},
    "not_completed": {"en": "not completed (tool's marker)", "nl": "niet afgerond (volgens de surveytool)"},
    "later_kept_same_file": {
        "en": "later submission kept (row {row})",
        "nl": "latere inzending bewaard (rij {row})",
    },
    "later_kept": {
        "en": "later submission kept ({file} row {row})",
        "nl": "latere inzending bewaard ({file} rij {row})",
    },
    "outside_window": {"en": "submitted outside the fieldwork window", "nl": "ingestuurd buiten het veldwerk"},
    "mark_tool": {"en": "marked as test or preview by the tool", "nl": "door de surveytool gemarkeerd als test"},
    "mark_comment": {"en": "test mark in comment", "nl": "testmarkering in opmerking"},
    "mark_name": {"en": "test mark in name", "nl": "testmarkering in naam"},
    "mark_e-mail": {"en": "test mark in e-mail", "nl": "testmarkering in e-mailadres"},
    "too_fast": {"en": "{seconds} s < {limit} s", "nl": "{seconds} s < {limit} s"},
    "not_in_registry": {"en": "not in the registry: {answer}", "nl": "niet in het register: {answer}"},
    "no_partnership": {"en": "no partnership answered", "nl": "geen leerroute ingevuld"},
}


def detail(key: str, **fields) -> str:
    """The English detail, as exclusions.csv stores it."""
    return DETAILS[key]["en"].format(**fields)


def translate(text: str, language: str) -> str:
    """A stored detail in `language`; a text no template matches (an older run's) stays as it is."""
    if language == "en" or not text:
        return text
    whole = _translate_part(text, language)
    if whole is not None:
        return whole
    parts = text.split(SEPARATOR)
    return SEPARATOR.join(_translate_part(part, language) or part for part in parts)


def _translate_part(part: str, language: str) -> str | None:
    for key, pattern in _patterns():
        match = pattern.fullmatch(part)
        if match:
            return DETAILS[key][language].format(**match.groupdict())
    return None


@cache
def _patterns() -> tuple[tuple[str, re.Pattern], ...]:
    """Each English template as a regex; templates without fields first, so none is shadowed."""
    compiled = []
    for key, texts in DETAILS.items():
        pieces = re.split(r"\{(\w+)\}", texts["en"])
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>{FIELDS[p]})" for i, p in enumerate(pieces))
        compiled.append((key, re.compile(regex, re.DOTALL)))
    return tuple(sorted(compiled, key=lambda kp: kp[1].groups))
