"""The HMAC secret behind respondent keys: where it comes from, and what makes it unfit.

Keys are HMAC-SHA256 of e-mail addresses and tokens, so anyone who knows or can guess the secret can
recompute every key from a list of addresses. The secret must therefore be long, private and the same
across waves and machines (or panel keys change). Every check here runs when the Snakefile is parsed,
so a bad secret stops the run before any job starts.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from borgingsmonitor.core.errors import InputError, console_warning

SECRET_ENV = "BORGING_SECRET"
SECRET_FILE_ENV = "BORGING_SECRET_FILE"
MIN_BYTES = 32
FINGERPRINT_LABEL = b"borgingsmonitor secret fingerprint v1\0"

MAKE_ONE = "(umask 077; python3 -c 'import secrets; print(secrets.token_hex(32))' > FILE)"
FILE_FIX = (
    f"put at least {MIN_BYTES} random bytes in a file only you can read ({MAKE_ONE}), then point "
    f"${SECRET_FILE_ENV} or privacy.secret_file at it; keep that file and copy it to every machine that runs a wave"
)


def load_secret(secret_file: str | None, create_if_missing: bool) -> bytes:
    """The secret: $BORGING_SECRET if set, else the file $BORGING_SECRET_FILE, else privacy.secret_file."""
    if SECRET_ENV in os.environ:
        return _fit(
            os.environ[SECRET_ENV].encode("utf-8"),
            f"${SECRET_ENV}",
            f"unset {SECRET_ENV} and use a key file instead: {FILE_FIX}",
        )
    path, named_by_env = secret_path(secret_file)
    if not path.exists():
        if named_by_env or not create_if_missing:
            raise InputError(path, "the secret file for respondent keys does not exist", fix=FILE_FIX)
        if _create_once(path):
            console_warning(
                f"created a NEW secret for respondent keys at {path}. Every respondent key of this run differs "
                f"from runs with another secret: keep this file, and copy it (mode 600) to any other machine "
                f"(tools/secret_fingerprint.py compares two machines' secrets)."
            )
    _private(path)
    return _fit(path.read_text(encoding="utf-8").strip().encode("utf-8"), str(path), FILE_FIX)


def secret_path(secret_file: str | None) -> tuple[Path, bool]:
    """The key file and whether $BORGING_SECRET_FILE named it (such a file is never created)."""
    named = os.environ.get(SECRET_FILE_ENV)
    if named is not None and not named.strip():
        raise InputError(
            f"${SECRET_FILE_ENV}", "is set but empty", fix=f"unset it, or set it to the key file's path; {FILE_FIX}"
        )
    if named:
        return Path(os.path.expanduser(named)), True
    if not secret_file:
        raise InputError("config", "no secret for respondent keys", column="privacy.secret_file", fix=FILE_FIX)
    return Path(os.path.expanduser(secret_file)), False


def _fit(value: bytes, where: str, fix: str) -> bytes:
    if not value.strip():
        raise InputError(where, "the secret for respondent keys is empty", fix=fix)
    if len(value) < MIN_BYTES:
        raise InputError(
            where,
            f"the secret for respondent keys has {len(value)} bytes; it needs at least {MIN_BYTES}, or anyone "
            "can recompute the keys from e-mail addresses",
            fix=fix,
        )
    return value


def _private(path: Path) -> None:
    if os.name != "posix":
        return
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise InputError(
            path,
            f"the secret file can be read by others (mode {mode:o})",
            fix=f"chmod 600 {path}  (only its owner may read it)",
        )


def _create_once(path: Path) -> bool:
    """Write a new secret unless another process got there first. The draft is 0600 from its first
    byte (O_EXCL: never someone else's file) and is linked into place, which fails if the file exists,
    so parallel processes all read the one secret."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.draft")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(32))
            handle.flush()
            os.fsync(handle.fileno())
        os.link(draft, path)
        return True
    except FileExistsError:
        return False
    finally:
        draft.unlink(missing_ok=True)


def fingerprint(secret: bytes) -> str:
    """A short digest two machines can compare; the secret cannot be recovered from it."""
    return hashlib.sha256(FINGERPRINT_LABEL + secret).hexdigest()[:16]


def check_run_secret(privacy: dict, cluster: bool) -> bytes:
    """The parse-time check: the secret is fit and, on a cluster, never in the scheduler's environment."""
    if cluster and SECRET_ENV in os.environ:
        raise InputError(
            f"${SECRET_ENV}",
            "is set while jobs go to a cluster scheduler, which stores the job's environment (the secret in "
            "plain text) in its job records",
            fix=f"unset {SECRET_ENV}; put the secret in a file on the shared filesystem ({MAKE_ONE}) and "
            f"export {SECRET_FILE_ENV}=/shared/path/FILE (docs/cluster.md)",
        )
    return load_secret(privacy.get("secret_file"), privacy.get("create_secret_if_missing", False))
