"""One deduce for a whole workflow run: a local service that ingestion jobs ask to de-identify free text.

Loading deduce's Dutch lookup tables costs ~1.5 s and ~1.1 GB in every process that needs them, and a
national monitor runs an ingestion job per region. The Snakefile starts this service when a run starts
(`onstart`) and stops it when the run ends; jobs find it through two environment variables they inherit.
A job that cannot reach it (no service, a cluster node, a service that has gone) loads deduce itself:
the text that comes out is the same either way.

The service loads deduce on its first request, serves any number of jobs, and exits when no job has
been connected for IDLE_SECONDS, when the Snakemake process that started it is gone, or when told to.
Texts travel over a Unix socket in a private (0700) directory, authenticated with a random key.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Listener
from pathlib import Path

log = logging.getLogger(__name__)

ADDRESS_ENV = "BORGING_SCRUB_ADDRESS"
KEY_ENV = "BORGING_SCRUB_KEY"
IDLE_SECONDS = 5.0  # after the last job disconnects: ingestion jobs follow each other within a second
FIRST_CLIENT_SECONDS = 120.0  # a run that ingests nothing lets the service go after this
STARTUP_SECONDS = 30.0
# A Unix socket's path must fit in 108 bytes (Linux); keep a margin. A longer TMPDIR falls back to /tmp.
MAX_SOCKET_PATH = 100
FALLBACK_TMP = "/tmp"
FOLDER_PREFIX = "borging-scrub-"


@dataclass
class Service:
    process: subprocess.Popen
    folder: str
    address: str
    key: str


def socket_base() -> str | None:
    """The folder to make the service's private folder in: the temp folder, or /tmp when the socket's
    path would be too long there; None (with the reason on the console) when neither will do."""
    for base in dict.fromkeys([tempfile.gettempdir(), FALLBACK_TMP]):
        # the private folder's name adds the prefix and 8 random characters, then "/socket"
        if len(os.path.join(base, FOLDER_PREFIX + "x" * 8, "socket")) <= MAX_SOCKET_PATH and os.access(base, os.W_OK):
            return base
    warn(
        f"the scrub service is not used: the temp folder {tempfile.gettempdir()!r} makes a socket path longer "
        f"than {MAX_SOCKET_PATH} characters and {FALLBACK_TMP} is not writable; every ingestion job loads "
        "deduce itself (slower, same text). Set TMPDIR to a short folder to use it."
    )
    return None


def warn(message: str) -> None:
    """On the console (the run's onstart runs in Snakemake's own process), not only in a log."""
    print(f"WARNING: {message}", file=sys.stderr, flush=True)


def remove_stale_folders(base: str) -> None:
    """Empty private folders of services that were killed with their run (older than a start-up)."""
    cutoff = time.time() - 2 * STARTUP_SECONDS
    for folder in Path(base).glob(FOLDER_PREFIX + "*"):
        try:
            info = folder.stat()
            if folder.is_dir() and info.st_uid == os.getuid() and info.st_mtime < cutoff:
                folder.rmdir()  # only when empty: a live service's socket keeps its folder
        except OSError:
            continue


def start(log_path: str | None = None) -> Service | None:
    """Start the service for this process's jobs and point them to it (None when it cannot start)."""
    base = socket_base()
    if base is None:
        return None
    remove_stale_folders(base)
    folder = tempfile.mkdtemp(prefix=FOLDER_PREFIX, dir=base)  # mode 0700
    address = os.path.join(folder, "socket")
    key = secrets.token_hex(32)
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    log_file = open(log_path, "w", encoding="utf-8") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "borgingsmonitor.ingest.scrub_service", address, str(os.getpid())],
        env={**os.environ, KEY_ENV: key},
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=log_file,
        start_new_session=True,  # Ctrl-C in the terminal goes to Snakemake; the service follows it out
    )
    if log_path:
        log_file.close()  # the service has its own handle
    deadline = time.monotonic() + STARTUP_SECONDS
    while not os.path.exists(address):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            shutil.rmtree(folder, ignore_errors=True)
            warn(
                f"the scrub service did not start (see {log_path or 'its log'}); "
                "every ingestion job loads deduce itself"
            )
            return None
        time.sleep(0.02)
    os.environ[ADDRESS_ENV], os.environ[KEY_ENV] = address, key
    return Service(process, folder, address, key)


def stop(service: Service | None) -> None:
    if service is None:
        return
    os.environ.pop(ADDRESS_ENV, None)
    os.environ.pop(KEY_ENV, None)
    try:
        with Client(service.address, family="AF_UNIX", authkey=service.key.encode()) as conn:
            conn.send(("stop", None))
    except OSError:
        pass
    try:
        service.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        service.process.kill()
    shutil.rmtree(service.folder, ignore_errors=True)


_connection = None


def deidentify(texts: list[str]) -> list[str] | None:
    """The service's deduce output for each text, or None when no service can be reached."""
    global _connection
    address, key = os.environ.get(ADDRESS_ENV), os.environ.get(KEY_ENV)
    if not address or not key:
        return None
    try:
        if _connection is None:
            _connection = Client(address, family="AF_UNIX", authkey=key.encode())
        _connection.send(("deidentify", texts))
        status, reply = _connection.recv()
    except (OSError, EOFError, AuthenticationError) as err:
        log.warning(
            "the scrub service at %s did not answer (%s); loading deduce in this job", address, type(err).__name__
        )
        os.environ.pop(ADDRESS_ENV, None)
        _connection = None
        return None
    if status != "ok":
        raise RuntimeError(f"the scrub service failed: {reply}")
    return reply


# --- the service itself ---------------------------------------------------------------------------


class _State:
    def __init__(self):
        self.lock = threading.Lock()
        self.clients = 0
        self.ever_connected = False
        self.last_change = time.monotonic()
        self.texts = 0
        self.stop = threading.Event()


def _serve_client(conn, state: _State) -> None:
    from borgingsmonitor.ingest.deidentify import deduce_text

    try:
        while True:
            kind, payload = conn.recv()
            if kind == "stop":
                state.stop.set()
                return
            try:
                with state.lock:  # one deduce, not known to be thread-safe
                    done = [deduce_text(t) for t in payload]
                    state.texts += len(done)
                conn.send(("ok", done))
            except Exception as err:  # the job gets the error and fails with it
                conn.send(("error", f"{type(err).__name__}: {err}"))
    except (EOFError, OSError):
        pass
    finally:
        conn.close()
        with state.lock:
            state.clients -= 1
            state.last_change = time.monotonic()


def _accept(listener: Listener, state: _State) -> None:
    while not state.stop.is_set():
        try:
            conn = listener.accept()
        except (OSError, EOFError, AuthenticationError):  # a caller with the wrong key, or the listener closed
            continue
        with state.lock:
            state.clients += 1
            state.ever_connected = True
        threading.Thread(target=_serve_client, args=(conn, state), daemon=True).start()


def _should_exit(state: _State, parent: int) -> str | None:
    if state.stop.is_set():
        return "told to stop"
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        return "the workflow run has ended"
    with state.lock:
        idle = time.monotonic() - state.last_change
        if state.clients == 0 and idle > (IDLE_SECONDS if state.ever_connected else FIRST_CLIENT_SECONDS):
            return "no ingestion job is running"
    return None


def serve(address: str, parent: int, key: bytes) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s scrub service: %(message)s")
    state = _State()
    listener = Listener(address, family="AF_UNIX", authkey=key)
    threading.Thread(target=_accept, args=(listener, state), daemon=True).start()
    log.info("listening (pid %d)", os.getpid())
    while (reason := _should_exit(state, parent)) is None:
        time.sleep(0.2)
    log.info("stopping: %s; de-identified %d texts", reason, state.texts)
    for path, remove in ((address, os.unlink), (os.path.dirname(address), os.rmdir)):
        try:  # the socket, then its private folder: a killed run leaves nothing behind
            remove(path)
        except OSError:
            pass
    os._exit(0)  # daemon threads may sit in accept() or recv()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), os.environ[KEY_ENV].encode())
