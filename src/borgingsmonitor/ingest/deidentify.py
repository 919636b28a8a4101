"""deduce, the Dutch de-identification library, with its tags in the report's words.

Loaded once per process; the run's scrub service (scrub_service.py) holds the one copy that ingestion
jobs share."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1)
def _deduce():
    import gc

    import deduce

    # Loading deduce's lookup tables unpickles millions of small objects that live until exit: with the
    # cyclic garbage collector scanning them, loading takes ~13 s instead of ~2 s and exit another ~30 s.
    # So: no collection while loading, then freeze them out of every later collection.
    enabled = gc.isenabled()
    gc.disable()
    try:
        model = deduce.Deduce()
        gc.freeze()
        return model
    finally:
        if enabled:
            gc.enable()


DEDUCE_TAGS = [
    (re.compile(r"\[(PERSOON|PATIENT)-\d+\]"), "[naam]"),
    (re.compile(r"\[(TELEFOONNUMMER|ID|BSN)-\d+\]"), "[nummer]"),
    (re.compile(r"\[EMAILADRES-\d+\]"), "[e-mail]"),
    (re.compile(r"\[URL-\d+\]"), "[url]"),
    (re.compile(r"\[(LOCATIE|INSTELLING|ZIEKENHUIS)-\d+\]"), "[plaats]"),
    (re.compile(r"\[[A-Z]+-\d+\]"), "[weggelaten]"),
]


def deduce_text(text: str) -> str:
    """deduce's de-identification with its tags in the report's words."""
    out = _deduce().deidentify(text).deidentified_text
    for pattern, tag in DEDUCE_TAGS:
        out = pattern.sub(tag, out)
    return out
