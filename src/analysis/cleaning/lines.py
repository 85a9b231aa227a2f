"""Physical lines, one at a time: line endings, control characters, stray quotes; and the
validation patterns that decide what may leave in the quarantine."""

from __future__ import annotations

import csv
import re

#: Redacted value in the quarantine: anything not validated as a uid, a date or a city.
REDACTED = "[redacted]"
UID_PATTERN = re.compile(r"[A-Za-z]{1,5}-\d{1,9}")
DIGITS = re.compile(r"\d{1,12}")
STATE_PATTERN = re.compile(r"[A-Z]{2}")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
#: Fields the analysis uses: a stray quote in one of them quarantines the line.
USED_FIELDS = ("uid", "reported_date", "city", "state", "lat", "lon", "victim_age")


def physical_lines(data: bytes) -> tuple[list[tuple[int, str, bool]], str]:
    """Every physical line as (number, text, had_invalid_utf8), and the line ending seen.

    Lines end with LF or CRLF; a file with CR alone (old Mac) is split on CR.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    ending = "LF"
    if b"\n" not in data and b"\r" in data:
        ending = "CR"
        chunks = data.split(b"\r")
    else:
        chunks = data.split(b"\n")
    if chunks and chunks[-1] == b"":
        chunks.pop()
    lines = []
    for number, chunk in enumerate(chunks, start=1):
        chunk = chunk.removesuffix(b"\r")
        try:
            lines.append((number, chunk.decode("utf-8"), False))
        except UnicodeDecodeError:
            lines.append((number, chunk.decode("utf-8", errors="replace"), True))
    return lines, ending


def split_line(text: str, header: list[str], max_chars: int) -> tuple[list[str] | None, str, str]:
    """One physical line as fields: ``(fields, problem, note)``; ``fields`` is None when the
    line is to be quarantined for ``problem``."""
    if CONTROL_CHARACTERS.search(text):
        return None, "control_character", ""
    if len(text) > max_chars:
        return None, "line_too_long", f"{len(text)} characters, more than {max_chars}"
    if text.count('"') % 2:
        fields = text.split(",")
        if len(fields) != len(header):
            return None, "unbalanced_quote", f"{len(fields)} comma-separated fields"
        used = [n for n in USED_FIELDS if n in header and '"' in fields[header.index(n)]]
        if used:
            return None, "unbalanced_quote", f"in field(s) {used}"
        return [f.replace('"', "") for f in fields], "", "stray_quote_ignored"
    try:
        fields = next(csv.reader([text], strict=True), [])
    except csv.Error as exc:
        return None, "csv_error", str(exc).split(":")[0]
    return fields, "", ""
