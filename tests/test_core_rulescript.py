"""The rule-script helper: messages in the rule's log, a known error as one clear line and exit 1."""

from __future__ import annotations

import logging
import sys
from types import SimpleNamespace

import pytest

from borgingsmonitor.core.errors import InputError
from borgingsmonitor.core.rulescript import run


def snakemake_like(tmp_path, **params):
    return SimpleNamespace(
        input=SimpleNamespace(table="in.csv"),
        output=SimpleNamespace(table=str(tmp_path / "out.csv")),
        params=SimpleNamespace(**params),
        log=[str(tmp_path / "step.log")],
    )


def test_the_step_gets_the_named_lists_and_logs_to_the_rule_log(tmp_path):
    def step(input, output, params):
        logging.getLogger("borgingsmonitor.test").info("read %s, n=%d", input.table, params.n)
        print("a library's warning", file=sys.stderr)
        open(output.table, "w").write("x\n")

    stderr = sys.stderr
    run(snakemake_like(tmp_path, n=3), step)
    log = (tmp_path / "step.log").read_text(encoding="utf-8")
    assert "INFO borgingsmonitor.test: read in.csv, n=3" in log
    assert "a library's warning" in log
    assert (tmp_path / "out.csv").read_text() == "x\n"
    assert sys.stderr is stderr


def test_a_bad_input_is_one_message_in_the_log_and_on_the_terminal(tmp_path, capsys):
    def step(input, output, params):
        raise InputError(
            "regio/export.csv", "no such answer 'Misschien'", row=4, column="rel_trust", fix="add it to label_sets"
        )

    with pytest.raises(SystemExit) as stop:
        run(snakemake_like(tmp_path), step)
    assert stop.value.code == 1
    terminal = capsys.readouterr().err
    log = (tmp_path / "step.log").read_text(encoding="utf-8")
    for text in (terminal, log):
        assert "ERROR: file 'regio/export.csv', row 4, column 'rel_trust': no such answer 'Misschien'" in text
        assert "To fix: add it to label_sets" in text
        assert "Traceback" not in text


def test_a_bug_keeps_its_traceback_in_the_log(tmp_path):
    def step(input, output, params):
        raise KeyError("column_that_is_not_there")

    with pytest.raises(KeyError):
        run(snakemake_like(tmp_path), step)
    log = (tmp_path / "step.log").read_text(encoding="utf-8")
    assert "Traceback" in log and "column_that_is_not_there" in log


def test_other_libraries_info_stays_out_and_their_warnings_go_in(tmp_path):
    def step(input, output, params):
        logging.getLogger("matplotlib.font_manager").info("generated new fontManager")
        logging.getLogger("statsmodels").warning("Maximum Likelihood optimization failed to converge")

    run(snakemake_like(tmp_path), step)
    log = (tmp_path / "step.log").read_text(encoding="utf-8")
    assert "fontManager" not in log
    assert "WARNING statsmodels: Maximum Likelihood optimization failed to converge" in log
