"""A rule reruns when the library code it runs changes: each rule's params carry its stage's code version."""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import REPO

from borgingsmonitor.core.codeversion import PACKAGE, STAGES, code_version


@pytest.fixture
def package(tmp_path):
    root = tmp_path / "borgingsmonitor"
    shutil.copytree(PACKAGE, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def versions(root) -> dict[str, str]:
    code_version.cache_clear()
    return {stage: code_version(stage, root) for stage in STAGES}


def test_a_change_in_a_stage_changes_it_and_every_later_stage_only(package):
    before = versions(package)
    assert before == versions(package) and len(set(before.values())) == len(STAGES)
    (package / "models" / "declared.py").write_text((package / "models" / "declared.py").read_text() + "\n# x\n")
    after = versions(package)
    changed = [stage for stage in STAGES if after[stage] != before[stage]]
    assert changed == list(STAGES[STAGES.index("models") :])


def test_report_words_count_as_code_and_caches_do_not(package):
    before = versions(package)
    (package / "core" / "__pycache__").mkdir(exist_ok=True)
    (package / "core" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    assert versions(package) == before
    i18n = package / "report" / "i18n" / "nl.yaml"
    i18n.write_text(i18n.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert versions(package)["report"] != before["report"]


def rule_blocks():
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for block in re.split(r"(?m)^(?=rule )", smk.read_text(encoding="utf-8"))[1:]:
            yield re.match(r"rule (\w+):", block).group(1), block


def test_every_rule_carries_the_code_version_of_what_its_script_runs():
    for name, block in rule_blocks():
        declared = re.findall(r'code=code_version\("(\w+)"\)', block)
        script = REPO / "scripts" / (re.search(r"scripts/(\w+)\.py", block).group(1) + ".py")
        used = {s for s in re.findall(r"borgingsmonitor\.(\w+)", script.read_text(encoding="utf-8")) if s in STAGES}
        assert len(declared) == 1, f"rule {name}: add code=code_version(<stage>) to its params"
        assert all(STAGES.index(s) <= STAGES.index(declared[0]) for s in used), f"rule {name} runs {used}"
