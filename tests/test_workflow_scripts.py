"""Every rule runs a script named after it, and every script is the same three lines over its stage's step."""

from __future__ import annotations

import ast
import importlib
import inspect
import re

import pytest
from conftest import REPO

RULES = REPO / "workflow" / "rules"
SHARED_SCRIPTS = {"ingest_file": "ingest", "ingest_region": "ingest"}  # a per-file job is a region job with one file


def rule_scripts() -> list[tuple[str, str, str]]:
    """(stage, rule, script path as written) for every rule with a `script:`; the stage is its .smk file."""
    found = []
    for smk in sorted(RULES.glob("*.smk")):
        for rule, body in re.findall(
            r"^rule (\w+):\n((?:[ \t]+.*\n|\n)*)", smk.read_text(encoding="utf-8"), flags=re.MULTILINE
        ):
            script = re.search(r"^\s+script:\n\s+\"([^\"]+)\"", body, flags=re.MULTILINE)
            if script:
                found.append((smk.stem, rule, script.group(1)))
    return found


RULE_SCRIPTS = rule_scripts()


def test_the_rule_files_were_read():
    assert {"ingest_file", "clean", "reliability", "declared_model", "survival", "partnership_sheets"} <= {
        r for _, r, _ in RULE_SCRIPTS
    }


@pytest.mark.parametrize("stage, rule, script", RULE_SCRIPTS, ids=[r for _, r, _ in RULE_SCRIPTS])
def test_script_is_named_after_its_rule_and_runs_its_step(stage, rule, script):
    path = (RULES / script).resolve()
    assert path.exists(), f"rule {rule}: {script} does not exist"
    assert path.parent == REPO / "scripts"
    assert path.stem == SHARED_SCRIPTS.get(rule, rule), f"rule {rule} runs {path.name}; name the script {rule}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{path.name} has no docstring"
    imports = {
        (node.module, alias.name) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names
    }
    assert ("borgingsmonitor.core.rulescript", "run") in imports
    assert (f"borgingsmonitor.{stage}.steps", rule) in imports, f"{path.name} should import {rule} from {stage}.steps"
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "run"]
    assert len(calls) == 1 and getattr(calls[0].args[0], "id", None) == "snakemake"


@pytest.mark.parametrize("stage, rule, script", RULE_SCRIPTS, ids=[r for _, r, _ in RULE_SCRIPTS])
def test_every_rule_has_a_step_of_its_name(stage, rule, script):
    step = getattr(importlib.import_module(f"borgingsmonitor.{stage}.steps"), rule)
    assert list(inspect.signature(step).parameters) == ["input", "output", "params"]


def test_no_script_sets_up_its_own_log():
    for path in sorted((REPO / "scripts").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "sys.stderr" not in text, path.name
        assert text.count("noqa") <= 1, path.name


def test_every_script_belongs_to_a_rule():
    used = {(RULES / script).resolve() for _, _, script in RULE_SCRIPTS}
    assert set((REPO / "scripts").glob("*.py")) == used
