"""The `snakemake --report` captions speak the report language (issue 15 item 8).

Each caption is rendered as Snakemake renders it (Jinja2 with trim_blocks and lstrip_blocks, a
`snakemake` object holding the config with the schema's defaults), then as reStructuredText.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml
from docutils.core import publish_parts
from jinja2 import Environment, StrictUndefined
from snakemake.utils import validate

REPO = Path(__file__).resolve().parents[1]
CAPTIONS = sorted((REPO / "workflow" / "report").glob("*.rst"))
SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")
# Words of an English sentence that are not Dutch words too ("of" is: Dutch for "or").
ENGLISH = (
    "the",
    "and",
    "with",
    "are",
    "from",
    "each",
    "that",
    "which",
    "when",
    "not",
    "by",
    "to",
    "at",
    "for",
    "or",
    "than",
    "only",
    "this",
)
ENGLISH_WORD = re.compile(r"\b(" + "|".join(ENGLISH) + r")\b", re.IGNORECASE)
CODE_LITERAL = re.compile(r"``.*?``", re.DOTALL)


class FakeSnakemake:
    def __init__(self, config):
        self.config = config


def config_in(language: str) -> dict:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    validate(config, schema=SCHEMA)  # fills the defaults, as the workflow does
    config = copy.deepcopy(config)
    config["report"]["language"] = language
    return config


@pytest.fixture(scope="module")
def configs():
    return {language: config_in(language) for language in ("nl", "en")}


def render(path: Path, config: dict) -> str:
    env = Environment(trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined)
    return env.from_string(path.read_text(encoding="utf-8")).render(snakemake=FakeSnakemake(config))


def test_every_caption_of_the_rules_exists():
    rules = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "workflow" / "rules").glob("*.smk"))
    assert len(CAPTIONS) >= 30
    for name in re.findall(r'caption="\.\./report/([^"]+)"', rules):
        assert (REPO / "workflow" / "report" / name).exists(), name


@pytest.mark.parametrize("path", CAPTIONS, ids=lambda p: p.name)
def test_caption_renders_in_both_languages_as_valid_rst(path, configs):
    for language, config in configs.items():
        text = render(path, config)
        assert text.strip(), (path.name, language)
        # halt_level 2: a docutils warning (broken markup) fails, as it would garble the report.
        publish_parts(text, writer="html", settings_overrides={"halt_level": 2, "report_level": 2})


@pytest.mark.parametrize("path", CAPTIONS, ids=lambda p: p.name)
def test_dutch_caption_differs_from_english(path, configs):
    assert render(path, configs["nl"]) != render(path, configs["en"])


@pytest.mark.parametrize("path", CAPTIONS, ids=lambda p: p.name)
def test_dutch_caption_has_no_english_sentence_words(path, configs):
    prose = CODE_LITERAL.sub(" ", render(path, configs["nl"]))
    assert ENGLISH_WORD.findall(prose) == [], prose


@pytest.mark.parametrize("path", CAPTIONS, ids=lambda p: p.name)
def test_english_caption_is_english(path, configs):
    prose = CODE_LITERAL.sub(" ", render(path, configs["en"]))
    assert re.search(r"\b(de|het|een|van)\b", prose) is None, prose


@pytest.mark.parametrize("language", ["nl", "en"])
def test_hypotheses_caption_lists_each_declared_hypothesis(language, configs):
    config = configs[language]
    html = publish_parts(render(REPO / "workflow" / "report" / "hypotheses.rst", config), writer="html")["body"]
    assert html.count("<li>") == len(config["hypotheses"]["declared"])
