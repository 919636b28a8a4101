"""Privacy at the door: keyed pseudonyms for respondents and scrubbing of free text."""

from __future__ import annotations

import hmac
import logging
import re

from borgingsmonitor.core.labels import is_blank
from borgingsmonitor.ingest import scrub_service
from borgingsmonitor.ingest.deidentify import deduce_text

log = logging.getLogger(__name__)

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Dutch mobile and landline numbers, with +31/0031 or 0, any spaces or dashes between digit groups.
PHONE = re.compile(r"(?<!\w)(?:\+31|0031|0)[\s-]?(?:\(0\)[\s-]?)?\d(?:[\s-]?\d){7,9}(?!\w)")
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
URL = re.compile(r"https?://\S+")
# "Groet, Fleur Vermeulen" and similar sign-offs: everything after the greeting is a signature.
SIGNATURE = re.compile(
    r"(?i)\b(?:met\s+vriendelijke\s+groet(?:en)?|vriendelijke\s+groet(?:en)?|groet(?:jes|en)?|mvg|gr)\b\.?\s*,?.*$",
    re.DOTALL,
)


def normalise_identity(value) -> str | None:
    """The identity as compared across files; an empty cell (None, NaN from Excel or SPSS) is none."""
    return None if is_blank(value) else str(value).strip().casefold()


def respondent_key(identity: str | None, secret: bytes) -> str | None:
    """HMAC-SHA256 of the normalised identity, shortened to 20 hex characters (80 bits)."""
    if identity is None:
        return None
    return hmac.digest(secret, identity.encode("utf-8"), "sha256").hex()[:20]


def scrub_text(text, extra_names: tuple[str, ...] = (), use_deduce: bool = True):
    """Remove e-mail addresses, phone numbers, IPs, URLs, signatures and names from free text."""
    return scrub_texts([text], extra_names, use_deduce)[0]


def scrub_texts(texts, extra_names: tuple[str, ...] = (), use_deduce: bool = True) -> list:
    """scrub_text for many texts, with deduce asked once for all of them (by the run's scrub service
    when there is one, see scrub_service.py; else in this process)."""
    out = [_scrub_patterns(t, extra_names) for t in texts]
    if use_deduce:
        todo = [i for i, t in enumerate(out) if t is not None and t.strip()]
        asked = [out[i] for i in todo]
        done = scrub_service.deidentify(asked) if asked else []
        if done is None:
            done = [deduce_text(t) for t in asked]
        for i, text in zip(todo, done):
            out[i] = text
    return [None if t is None else (t.strip() or None) for t in out]


def _scrub_patterns(text, extra_names: tuple[str, ...]):
    if text is None or (isinstance(text, float) and text != text):
        return None
    out = str(text)
    out = EMAIL.sub("[e-mail]", out)
    out = URL.sub("[url]", out)
    out = IPV4.sub("[ip]", out)
    out = PHONE.sub("[telefoon]", out)
    out = SIGNATURE.sub("[naam]", out)
    for name in extra_names:
        if name:
            out = re.sub(re.escape(name), "[naam]", out, flags=re.IGNORECASE)
    return out


def safe_value(value, limit: int = 60) -> str:
    """A raw value fit for an error message or a QC table: contact details removed, length capped."""
    text = scrub_text(value, use_deduce=False) or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"
