"""Errors about bad input: each names the file, the row and the column, and says what to fix."""

from __future__ import annotations

import sys


class InputError(Exception):
    """A problem in a raw export, the registry or the configuration that the user must fix."""

    def __init__(self, file, message, *, row=None, column=None, fix=None):
        self.file = str(file)
        self.row = row
        self.column = column
        self.fix = fix
        where = [f"file '{self.file}'"]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        text = f"{', '.join(where)}: {message}"
        if fix:
            text += f"\n  To fix: {fix}"
        super().__init__(text)


def console_warning(message: str) -> None:
    """A fallback the user must hear of: on the terminal (stderr), not only in one job's log."""
    print(f"Borgingsmonitor WARNING: {message}", file=sys.stderr, flush=True)
