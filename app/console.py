"""The standard output and error in any console's code page: a Windows console redirected to a file (the scheduled
``nightly``'s log) writes cp1252, where a family name with "ș" or "ă" has no character; Python would stop the
command there with a ``UnicodeEncodeError``, after the day was transmitted and before the e-mails were sent. Such a
character is written without its accent instead ("Ș" → "S"), or as "?"; the log file, in UTF-8, keeps it whole."""

from __future__ import annotations

import codecs
import io
import sys
import unicodedata

ERRORS = "guichet-fold"


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def fold_unencodable(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: the characters the code page lacks, without their accents, else "?"."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    chunk = error.object[error.start : error.end]
    folded = "".join(c for c in unicodedata.normalize("NFKD", chunk) if not unicodedata.combining(c))
    return "".join(c if _encodable(c, error.encoding) else "?" for c in folded), error.end


def protect_streams() -> None:
    """Standard output and error that cannot fail on a character their encoding lacks (UTF-8 ones are left as
    they are). Streams that do not exist (a windowed program has none) are left alone."""
    codecs.register_error(ERRORS, fold_unencodable)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and codecs.lookup(stream.encoding).name != "utf-8":
            stream.reconfigure(errors=ERRORS)
