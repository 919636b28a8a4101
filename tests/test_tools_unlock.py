"""tools/unlock_if_stale.py removes a lock only when no Snakemake works in the folder."""

from __future__ import annotations

import subprocess
import sys
import time

from conftest import REPO

sys.path.insert(0, str(REPO / "tools"))
import unlock_if_stale as tool  # noqa: E402


def locked(workdir):
    folder = workdir / ".snakemake" / "locks"
    folder.mkdir(parents=True)
    (folder / "0.input.lock").write_text("results/x\n")
    return folder


def test_a_lock_nobody_holds_is_removed(tmp_path):
    folder = locked(tmp_path)
    assert "removed" in tool.unlock_if_stale(tmp_path)
    assert not folder.exists()


def test_no_lock_nothing_to_do(tmp_path):
    assert tool.unlock_if_stale(tmp_path) == ""


def test_a_lock_of_a_running_snakemake_stays(tmp_path):
    folder = locked(tmp_path)
    fake = tmp_path / "snakemake"  # a process named snakemake, working in the folder
    fake.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(30)\n")
    fake.chmod(0o755)
    process = subprocess.Popen([str(fake)], cwd=tmp_path)
    try:
        time.sleep(0.5)
        message = tool.unlock_if_stale(tmp_path)
        assert str(process.pid) in message and folder.exists()
    finally:
        process.kill()
        process.wait()
