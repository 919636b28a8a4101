"""Report words live in i18n/<language>.yaml; this module looks them up and formats numbers."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import yaml

I18N_DIR = Path(__file__).parent / "i18n"
LANGUAGES = ("nl", "en")
THOUSANDS = "\u202f"


def flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


@cache
def load_strings(language: str) -> dict[str, str]:
    if language not in LANGUAGES:
        raise ValueError(f"report language must be one of {LANGUAGES}, got {language!r}")
    raw = yaml.safe_load((I18N_DIR / f"{language}.yaml").read_text(encoding="utf-8"))
    return flatten(raw)


class Translator:
    """`t("key", **fields)` returns the report text for `key` in one language."""

    def __init__(self, language: str, questionnaire=None):
        self.language = language
        self.strings = load_strings(language)
        self.questionnaire = questionnaire

    def __call__(self, key: str, **fields) -> str:
        text = self.strings[key]
        return text.format(**fields) if fields else text

    def count(self, noun: str, n: int) -> str:
        """'1 regio', '4 regio's': the `count.<noun>_one` or `_other` text with the number."""
        return self(f"count.{noun}_{'one' if int(n) == 1 else 'other'}", n=format_int(n, self.language))

    def get(self, key: str, default: str) -> str:
        return self.strings.get(key, default)

    def scale(self, code: str) -> str:
        if self.questionnaire and code in self.questionnaire.scale_names:
            return self.questionnaire.scale_names[code][self.language]
        return code

    def item(self, code: str) -> str:
        for item in self.questionnaire.items if self.questionnaire else ():
            if item.code == code:
                return getattr(item, self.language)
        return code

    def option(self, question: str, value) -> str:
        """A harmonised category (stored as the Dutch option text) in the report language."""
        q = self.questionnaire.questions.get(question) if self.questionnaire else None
        if q is None or self.language == "nl" or value not in q.options_nl:
            return str(value)
        return q.options_en[q.options_nl.index(value)]

    def term(self, term: str) -> str:
        if self.questionnaire and term in self.questionnaire.scale_names:
            return f"{self.scale(term)} ({term})"
        return self.strings.get(f"terms.{term}", term)

    def num(self, x, digits: int = 2) -> str:
        return format_number(x, digits, self.language)

    def p(self, p) -> str:
        return format_p(p, self.language)

    def p_eq(self, p) -> str:
        """'= 0,020' or '< 0,001', to follow a 'p'."""
        text = self.p(p)
        return text if text.startswith("<") or not text else "= " + text

    def ci(self, low, high, digits: int = 2) -> str:
        if is_missing(low) or is_missing(high):
            return ""
        return f"[{self.num(low, digits)}; {self.num(high, digits)}]"


def is_missing(x) -> bool:
    if x is None:
        return True
    try:
        return bool(x != x) or (isinstance(x, float) and math.isnan(x))
    except TypeError:
        return True


def format_number(x, digits: int = 2, language: str = "nl") -> str:
    if is_missing(x):
        return ""
    value = round(float(x), digits) + 0.0  # + 0.0 turns -0.0 into 0.0
    text = f"{value:,.{digits}f}"
    # Dutch: thousands with a narrow no-break space (so "1 426" never breaks over two lines), decimal
    # comma; English: "1,426.5"
    if language == "nl":
        text = text.replace(",", THOUSANDS).replace(".", ",")
    return text.replace("-", "\u2212")


def format_int(x, language: str = "nl") -> str:
    return format_number(x, 0, language)


def format_p(p, language: str = "nl") -> str:
    if is_missing(p):
        return ""
    if float(p) < 0.001:
        return "< " + format_number(0.001, 3, language)
    return format_number(p, 3, language)
