"""Names and paths from data and config: an identifier names a file only if it is a plain name,
every output stays inside its results folder, and every input inside `input_dir`."""

from __future__ import annotations

import os
import re
from pathlib import Path

from borgingsmonitor.core.errors import InputError

# A plain file name: starts with a letter or digit, then letters, digits, '_', '.', '-'; no '/', no '..'.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
NAME_RULE = "letters, digits, '-', '_' and '.' only, at most 64, starting with a letter or digit, no '..'"


def is_safe_name(value) -> bool:
    text = str(value)
    return bool(NAME.fullmatch(text)) and ".." not in text


def check_name(value, file, *, row=None, column=None) -> str:
    """The identifier, if it can name a file; else an error naming where it came from."""
    if not is_safe_name(value):
        raise InputError(
            file,
            f"{str(value)[:80]!r} cannot name a file",
            row=row,
            column=column,
            fix=f"use an identifier of {NAME_RULE}",
        )
    return str(value)


def output_path(root, *names) -> Path:
    """root/name/...: each name a plain file name, and the result inside root even after symlinks."""
    for name in names:
        check_name(name, root)
    base = Path(root).resolve()
    path = base.joinpath(*map(str, names)).resolve()
    if not path.is_relative_to(base):
        raise InputError(
            root, f"{path} lies outside the results folder", fix="remove the symbolic link that leads out of it"
        )
    return path


def input_file(input_dir, relative, where: str) -> str:
    """input_dir/relative, refused when the path the config gives leads out of input_dir ('..', an
    absolute path). A symbolic link the user placed inside input_dir is followed: it is their choice
    of where the data lives (a shared drive, say), not something a config can smuggle in."""
    base = Path(os.path.abspath(input_dir))
    path = Path(os.path.normpath(base / str(relative)))
    if not path.is_relative_to(base):
        raise InputError(
            "config",
            f"the path {str(relative)!r} leads outside input_dir ({base})",
            column=where,
            fix="give every input path relative to input_dir, without '..' or an absolute path, and keep the file inside input_dir",
        )
    return os.path.join(input_dir, str(relative))
