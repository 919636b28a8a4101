"""The HMAC secret: long, private, from one place, created once and 0600 from its first byte; a bad
secret stops the run when the Snakefile is parsed, before any job."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys

import pytest
from conftest import REPO, SNAKEMAKE, TEST_SECRET, example_config, write_config

from borgingsmonitor.core.errors import InputError
from borgingsmonitor.ingest.secret import MIN_BYTES, check_run_secret, fingerprint, load_secret

GOOD = "0123456789abcdef" * 4  # 64 bytes


def _load(path):
    return load_secret(path, True)


def _key_file(folder, text=GOOD, mode=0o600):
    path = folder / "secret.key"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.fixture
def no_env(monkeypatch):
    monkeypatch.delenv("BORGING_SECRET", raising=False)
    monkeypatch.delenv("BORGING_SECRET_FILE", raising=False)


def test_the_environment_variable_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("BORGING_SECRET", GOOD)
    assert load_secret(str(tmp_path / "none.key"), False) == GOOD.encode()
    assert not (tmp_path / "none.key").exists()


@pytest.mark.parametrize("value", ["", "   ", "a", "x" * (MIN_BYTES - 1)])
def test_an_empty_or_short_secret_in_the_environment_stops_and_never_falls_back(tmp_path, monkeypatch, value):
    _key_file(tmp_path)
    monkeypatch.setenv("BORGING_SECRET", value)
    with pytest.raises(InputError, match="BORGING_SECRET.*(empty|needs at least 32)") as err:
        load_secret(str(tmp_path / "secret.key"), False)
    assert "To fix" in str(err.value)


@pytest.mark.parametrize("text", ["", "\n", "short-secret"])
def test_an_empty_or_short_key_file_stops(tmp_path, no_env, text):
    path = _key_file(tmp_path, text)
    with pytest.raises(InputError, match="empty|needs at least 32"):
        load_secret(str(path), False)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_a_key_file_others_can_read_stops_with_the_chmod(tmp_path, no_env, mode):
    path = _key_file(tmp_path, mode=mode)
    with pytest.raises(InputError, match=f"chmod 600 {path}"):
        load_secret(str(path), False)


def test_the_file_named_by_borging_secret_file_wins_over_the_config_and_is_never_created(tmp_path, no_env, monkeypatch):
    path = _key_file(tmp_path)
    monkeypatch.setenv("BORGING_SECRET_FILE", str(path))
    assert load_secret(str(tmp_path / "other.key"), True) == GOOD.encode()
    monkeypatch.setenv("BORGING_SECRET_FILE", str(tmp_path / "missing.key"))
    with pytest.raises(InputError, match="does not exist"):
        load_secret(str(tmp_path / "other.key"), True)
    assert not (tmp_path / "missing.key").exists() and not (tmp_path / "other.key").exists()


def test_a_missing_secret_file_is_an_error_unless_creation_is_allowed(tmp_path, no_env):
    with pytest.raises(InputError, match="does not exist"):
        load_secret(str(tmp_path / "secret.key"), False)


def test_a_new_secret_is_announced_on_the_console(tmp_path, no_env, capsys):
    created = load_secret(str(tmp_path / "secret.key"), True)
    assert len(created) == 64
    assert "created a NEW secret" in capsys.readouterr().err
    load_secret(str(tmp_path / "secret.key"), True)
    assert capsys.readouterr().err == ""


def test_parallel_jobs_all_get_the_one_secret_they_created(tmp_path, no_env):
    path = str(tmp_path / "deep" / "secret.key")
    with multiprocessing.get_context("fork").Pool(6) as pool:
        secrets = set(pool.map(_load, [path] * 24))
    assert len(secrets) == 1
    assert secrets == {load_secret(path, False)}
    assert (tmp_path / "deep" / "secret.key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in (tmp_path / "deep").iterdir()] == ["secret.key"]


def test_a_new_key_file_is_never_readable_by_others_even_under_a_lax_umask(tmp_path, no_env):
    old = os.umask(0)
    try:
        load_secret(str(tmp_path / "secret.key"), True)
    finally:
        os.umask(old)
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600


def test_on_a_cluster_the_secret_may_not_travel_in_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("BORGING_SECRET", GOOD)
    with pytest.raises(InputError, match="BORGING_SECRET_FILE"):
        check_run_secret({"secret_file": None}, cluster=True)
    assert check_run_secret({"secret_file": None}, cluster=False) == GOOD.encode()
    monkeypatch.delenv("BORGING_SECRET")
    monkeypatch.setenv("BORGING_SECRET_FILE", str(_key_file(tmp_path)))
    assert check_run_secret({"secret_file": None}, cluster=True) == GOOD.encode()


def test_the_fingerprint_tells_secrets_apart_and_does_not_contain_them():
    one, two = fingerprint(GOOD.encode()), fingerprint(GOOD.upper().encode())
    assert one != two and len(one) == 16 and one not in GOOD and GOOD[:16] != one


def test_the_fingerprint_tool_prints_the_same_fingerprint_for_the_same_key_file(tmp_path, no_env):
    path = _key_file(tmp_path)
    env = {**os.environ, "BORGING_SECRET_FILE": str(path), "PYTHONPATH": str(REPO / "src")}
    run = subprocess.run(
        [sys.executable, str(REPO / "tools" / "secret_fingerprint.py")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert fingerprint(GOOD.encode()) in run.stdout and GOOD not in run.stdout


@pytest.mark.parametrize("env", [{"BORGING_SECRET": "too-short"}, {"BORGING_SECRET": ""}])
def test_a_bad_secret_stops_the_workflow_before_any_job(tmp_path, env):
    write_config(tmp_path, example_config())
    command = [
        SNAKEMAKE,
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(tmp_path),
        "--configfile",
        str(tmp_path / "config.yaml"),
        "--cores",
        "1",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, **env})
    assert run.returncode != 0
    assert "To fix" in run.stderr
    assert ("needs at least 32" in run.stderr) or ("is empty" in run.stderr)
    assert not (tmp_path / "results").exists() and TEST_SECRET not in run.stderr


def test_with_a_cluster_executor_the_secret_in_the_environment_stops_the_run_before_any_job(tmp_path):
    write_config(tmp_path, example_config())
    command = [
        SNAKEMAKE,
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(tmp_path),
        "--configfile",
        str(tmp_path / "config.yaml"),
        "--executor",
        "slurm",
        "--jobs",
        "1",
    ]
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=300, env={**os.environ, "BORGING_SECRET": TEST_SECRET}
    )
    assert run.returncode != 0
    assert "BORGING_SECRET_FILE" in run.stderr and "cluster scheduler" in run.stderr
    assert "submitted" not in run.stderr and not (tmp_path / "results").exists()


def test_the_cluster_profiles_never_pass_the_secret_in_the_environment():
    for profile in (REPO / "workflow" / "profiles").glob("*/config.yaml"):
        settings = profile.read_text(encoding="utf-8")
        assert "envvars" not in settings and "BORGING_SECRET_FILE" in settings
