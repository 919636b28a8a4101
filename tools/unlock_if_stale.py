"""Remove the Snakemake lock an interrupted run left behind, but only when no Snakemake runs here.

A run killed hard (power cut, SIGKILL, a closed laptop lid) leaves `.snakemake/locks/`, and the next run
stops with "Directory cannot be locked". `make run` calls this first, so the user needs no `--unlock`:

    python tools/unlock_if_stale.py [workdir]

A lock held by a live Snakemake process in the same folder is left alone (that run is still working).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import psutil


def lock_folder(workdir: Path) -> Path:
    return workdir / ".snakemake" / "locks"


def is_locked(workdir: Path) -> bool:
    folder = lock_folder(workdir)
    return folder.is_dir() and any(folder.glob("*.lock"))


def snakemake_here(workdir: Path) -> list[int]:
    """Pids of Snakemake processes (not this one) working in `workdir`."""
    here, found = workdir.resolve(), []
    for process in psutil.process_iter(["pid", "cmdline", "cwd"]):
        try:
            cmdline, cwd = process.info["cmdline"] or [], process.info["cwd"]
        except (psutil.Error, KeyError):
            continue
        if process.info["pid"] == os.getpid() or not any("snakemake" in Path(part).name for part in cmdline[:3]):
            continue
        if cwd and Path(cwd).resolve() == here or str(here) in cmdline:
            found.append(process.info["pid"])
    return found


def unlock_if_stale(workdir: Path) -> str:
    """What was done, in a sentence for the console."""
    if not is_locked(workdir):
        return ""
    running = snakemake_here(workdir)
    if running:
        pids = ", ".join(map(str, running))
        return f"the lock in {workdir}/.snakemake is held by a running Snakemake (pid {pids}); left alone"
    shutil.rmtree(lock_folder(workdir))
    return "removed the lock an interrupted run left in .snakemake/locks (no Snakemake is running here)"


def main(argv: list[str]) -> int:
    message = unlock_if_stale(Path(argv[1]) if len(argv) > 1 else Path.cwd())
    if message:
        print(message, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
