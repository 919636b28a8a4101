"""The run's scrub service: jobs get deduce's output from one shared deduce, the same text as their own
deduce would give, and the service never outlives the run that started it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import example_config, run_workflow, write_config

from borgingsmonitor.ingest import scrub_service
from borgingsmonitor.ingest.privacy import scrub_texts

pytestmark = pytest.mark.slow  # deduce loads in the service and in the test process

TEXTS = [
    "Goed overleg met Jan de Vries over de stage in Utrecht.",
    "Bel Fatima el Amrani op 06-12345678 of mail f.elamrani@school.nl",
    "Niets bijzonders.",
    None,
    "",
    "De coördinator, mevrouw Bakker, regelde de ruimte aan de Stationsstraat.",
]
CLIENT = """
import json, sys
from borgingsmonitor.ingest.privacy import scrub_texts
print(json.dumps(scrub_texts(json.loads(sys.argv[1]))))
"""


def ask_in_a_job(texts: list, env: dict) -> list:
    import json

    done = subprocess.run(
        [sys.executable, "-c", CLIENT, json.dumps(texts)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout), done.stderr


def wait_for_exit(process: subprocess.Popen, seconds: float) -> bool:
    try:
        process.wait(timeout=seconds)
        return True
    except subprocess.TimeoutExpired:
        return False


@pytest.fixture(scope="module")
def local():
    """What a job that loads its own deduce writes."""
    env_address = os.environ.pop(scrub_service.ADDRESS_ENV, None)
    assert env_address is None
    return scrub_texts(TEXTS)


def test_jobs_share_one_deduce_and_get_what_their_own_would_give(tmp_path, local):
    log = tmp_path / "scrub_service.log"
    service = scrub_service.start(log_path=str(log))
    assert service is not None
    try:
        env = dict(os.environ)
        assert env[scrub_service.ADDRESS_ENV] == service.address
        first, err1 = ask_in_a_job(TEXTS, env)
        second, err2 = ask_in_a_job(TEXTS[:3], env)
    finally:
        scrub_service.stop(service)
    assert first == local
    assert second == local[:3]
    assert "[naam]" in first[0] and "Vries" not in first[0]
    assert "did not answer" not in err1 + err2  # both jobs were served, neither loaded deduce itself
    text = log.read_text()
    assert "de-identified 7 texts" in text  # the 4 non-empty texts, then 3 of them again; nothing else
    assert "Vries" not in text and "Fatima" not in text  # counts only, never the texts
    assert service.process.returncode == 0
    assert not Path(service.folder).exists()
    assert scrub_service.ADDRESS_ENV not in os.environ


def test_goes_when_the_last_job_has_gone(tmp_path):
    service = scrub_service.start(log_path=str(tmp_path / "log"))
    try:
        ask_in_a_job(["Jan"], dict(os.environ))
        assert wait_for_exit(service.process, scrub_service.IDLE_SECONDS + 5)
        assert "no ingestion job is running" in (tmp_path / "log").read_text()
    finally:
        scrub_service.stop(service)


def test_goes_with_the_run_that_started_it(tmp_path):
    """Snakemake killed without its onerror handler: the service notices its parent is gone."""
    starter = (
        "import os, sys; from borgingsmonitor.ingest import scrub_service as s; "
        f"v = s.start(log_path={str(tmp_path / 'log')!r}); print(v.process.pid, flush=True); os._exit(0)"
    )
    done = subprocess.run([sys.executable, "-c", starter], capture_output=True, text=True, timeout=60, check=True)
    pid = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while (
        time.monotonic() < deadline
        and Path(f"/proc/{pid}").exists()
        and "stopping" not in (tmp_path / "log").read_text()
    ):
        time.sleep(0.1)
    assert "the workflow run has ended" in (tmp_path / "log").read_text()


def test_a_job_that_cannot_reach_it_scrubs_by_itself(tmp_path, local):
    env = {**os.environ, scrub_service.ADDRESS_ENV: str(tmp_path / "gone"), scrub_service.KEY_ENV: "00"}
    out, err = ask_in_a_job(TEXTS, env)
    assert out == local
    assert "did not answer" in err


def test_a_caller_without_the_key_is_refused(tmp_path, local):
    service = scrub_service.start()
    try:
        env = {**os.environ, scrub_service.KEY_ENV: "wrong"}
        out, err = ask_in_a_job(TEXTS, env)
        assert out == local  # it scrubbed by itself
        assert "AuthenticationError" in err
    finally:
        scrub_service.stop(service)


def test_a_workflow_run_starts_and_stops_it(tmp_path):
    config = example_config()
    config["privacy"]["use_deduce"] = True
    config["ingestion"] = {"jobs": "per_region"}
    write_config(tmp_path, config)
    run_workflow(tmp_path, "results/interim/harmonised.parquet")
    log = (tmp_path / "logs" / "scrub_service.log").read_text()
    served = int(log.split("de-identified ")[1].split()[0])
    # the pilot's comments, one deduce; stopped by onsuccess, or by its idle timer first on a busy machine
    assert served > 100 and ("told to stop" in log or "no ingestion job is running" in log)
    job_logs = "".join(p.read_text() for p in (tmp_path / "logs" / "ingest_region").glob("*.log"))
    assert "did not answer" not in job_logs
    comments = pd.read_parquet(tmp_path / "results" / "interim" / "harmonised.parquet")["comment"].dropna()
    assert comments.str.contains(r"\[naam\]").any()


def test_a_long_tmpdir_falls_back_to_a_short_socket_path(tmp_path, monkeypatch):
    long_tmp = tmp_path / ("t" * 120)
    long_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(long_tmp))
    monkeypatch.setattr(scrub_service.tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    service = scrub_service.start()
    try:
        assert service is not None and len(service.address) <= scrub_service.MAX_SOCKET_PATH
        assert service.address.startswith(scrub_service.FALLBACK_TMP + "/")
    finally:
        scrub_service.stop(service)
    assert not Path(service.folder).exists()


def test_no_short_socket_path_says_why_on_the_console(tmp_path, monkeypatch, capsys):
    long_tmp = tmp_path / ("t" * 120)
    long_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(long_tmp))
    monkeypatch.setattr(scrub_service.tempfile, "tempdir", None)
    monkeypatch.setattr(scrub_service, "FALLBACK_TMP", str(long_tmp))
    assert scrub_service.start() is None
    assert "longer than" in capsys.readouterr().err


def test_a_service_killed_with_its_run_leaves_no_folder(tmp_path):
    starter = (
        "import os; from borgingsmonitor.ingest import scrub_service as s; "
        f"v = s.start(log_path={str(tmp_path / 'log')!r}); print(v.folder, flush=True); os._exit(0)"
    )
    done = subprocess.run([sys.executable, "-c", starter], capture_output=True, text=True, timeout=60, check=True)
    folder = Path(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and folder.exists():
        time.sleep(0.1)
    assert not folder.exists()
