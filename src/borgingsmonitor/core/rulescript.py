"""The one way a rule script runs its step: log to the rule's log, run, and stop cleanly on a known error.

Every script under `scripts/` is a docstring plus

    from borgingsmonitor.core.rulescript import run
    from borgingsmonitor.<stage>.steps import <rule>

    run(snakemake, <rule>)  # noqa: F821

The step itself is a plain function `<rule>(input, output, params)` in its stage's `steps` module,
testable with `types.SimpleNamespace` in place of Snakemake's named lists.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from contextlib import contextmanager

from borgingsmonitor.core.errors import InputError

# The errors a user can fix (bad export, registry or config); anything else is a bug and keeps its traceback.
KNOWN_ERRORS: tuple[type[Exception], ...] = (InputError,)

log = logging.getLogger("borgingsmonitor")


def run(snakemake, step: Callable) -> None:
    """Run `step(input, output, params)` with its messages in `snakemake.log[0]`."""
    with _logging_to(snakemake.log[0]) as terminal:
        try:
            step(snakemake.input, snakemake.output, snakemake.params)
        except KNOWN_ERRORS as err:
            _fail(err, terminal)
        except Exception:
            log.exception("the step failed")  # the traceback in the log; Python prints it on the terminal too
            raise


@contextmanager
def _logging_to(path: str):
    """Our INFO messages, everyone's warnings and anything printed to stderr go to the file; yields the terminal."""
    root, terminal, level = logging.getLogger(), sys.stderr, log.level
    with open(path, "w", buffering=1, encoding="utf-8") as log_file:
        handler = logging.StreamHandler(log_file)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        log.setLevel(logging.INFO)
        sys.stderr = log_file
        try:
            yield terminal
        finally:
            sys.stderr = terminal
            root.removeHandler(handler)
            log.setLevel(level)


def _fail(err: Exception, terminal) -> None:
    """Report a bad input where the user looks (the log and the terminal) and stop the step."""
    message = f"ERROR: {err}"
    print(message, file=sys.stderr)
    print(message, file=terminal)
    raise SystemExit(1)
