"""The HMAC secret: from the environment, else from one file that parallel jobs create only once."""

from __future__ import annotations

import multiprocessing

import pytest

from borgingsmonitor.ingest.privacy import load_secret


def _load(path):
    return load_secret(path, True)


def test_the_environment_variable_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("BORGING_SECRET", "from-env")
    assert load_secret(str(tmp_path / "none.key"), False) == b"from-env"
    assert not (tmp_path / "none.key").exists()


def test_a_missing_secret_file_is_an_error_unless_creation_is_allowed(tmp_path, monkeypatch):
    monkeypatch.delenv("BORGING_SECRET")
    with pytest.raises(RuntimeError, match="does not exist"):
        load_secret(str(tmp_path / "secret.key"), False)


def test_parallel_jobs_all_get_the_one_secret_they_created(tmp_path, monkeypatch):
    monkeypatch.delenv("BORGING_SECRET")
    path = str(tmp_path / "deep" / "secret.key")
    with multiprocessing.get_context("fork").Pool(6) as pool:
        secrets = set(pool.map(_load, [path] * 24))
    assert len(secrets) == 1
    assert secrets == {load_secret(path, False)}
    assert (tmp_path / "deep" / "secret.key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in (tmp_path / "deep").iterdir()] == ["secret.key"]
