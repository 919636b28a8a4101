"""The questionnaire: item codes, scales, reverse keying and the non-Likert questions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

SCALES = ("REL", "FAC", "PRO", "ORG", "DUR")


@dataclass(frozen=True)
class Item:
    code: str
    scale: str
    nl: str
    en: str
    reverse: bool = False


@dataclass(frozen=True)
class Question:
    code: str
    type: str
    nl: str
    en: str
    options_nl: tuple[str, ...] = ()
    options_en: tuple[str, ...] = ()
    range: tuple[float, float] | None = None


@dataclass(frozen=True)
class Questionnaire:
    items: tuple[Item, ...]
    questions: dict[str, Question]
    scale_names: dict[str, dict[str, str]] = field(default_factory=dict)
    likert_labels_nl: tuple[str, ...] = ()
    likert_labels_en: tuple[str, ...] = ()

    @property
    def item_codes(self) -> list[str]:
        return [i.code for i in self.items]

    def scale_items(self, scale: str) -> list[Item]:
        return [i for i in self.items if i.scale == scale]

    @property
    def scales(self) -> dict[str, list[str]]:
        return {s: [i.code for i in self.scale_items(s)] for s in self.scale_names}

    @property
    def reverse_items(self) -> list[str]:
        return [i.code for i in self.items if i.reverse]


def load_questionnaire(path: str | Path) -> Questionnaire:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    items = []
    names = {}
    for scale, spec in raw["scales"].items():
        names[scale] = {"nl": spec["name_nl"], "en": spec["name_en"]}
        for code, it in spec["items"].items():
            items.append(Item(code, scale, it["nl"], it["en"], bool(it.get("reverse", False))))
    questions = {}
    for code, q in raw.get("other_questions", {}).items():
        rng = q.get("range")
        questions[code] = Question(
            code=code,
            type=q["type"],
            nl=q["nl"],
            en=q["en"],
            options_nl=tuple(q.get("options_nl", ())),
            options_en=tuple(q.get("options_en", ())),
            range=tuple(rng) if rng else None,
        )
    return Questionnaire(
        items=tuple(items),
        questions=questions,
        scale_names=names,
        likert_labels_nl=tuple(raw.get("likert_labels_nl", ())),
        likert_labels_en=tuple(raw.get("likert_labels_en", ())),
    )
