"""The seed's naive fingerprinter (shared/patterns/fingerprinter.ts and its issue regexes),
re-stated in Python as the reference the benchmarks print next to Homeostat's.

Also re-stated in tests/unit/fingerprint/test_fingerprint_seed_baseline.py, which shows the
cases it gets wrong.
"""

from __future__ import annotations

import hashlib
import re

_FRAME = re.compile(r"at [^\s]+ \(([^:]+):(\d+):(\d+)\)")
_ALT = re.compile(r"(\/[\w./-]+):(\d+):(\d+)")
_FIELD = re.compile(r"^- (?:\*\*)?([A-Za-z ]+?)(?:\*\*)?: (.*)$", re.MULTILINE)
_STACK = re.compile(r"## Stack Trace\s*```\w*\n(.*?)```", re.DOTALL)
_TITLE = re.compile(r"^\[[^\]]*\]\s*(\w+): (.*)$")


def seed_fingerprint_id(error_type: str, message: str, stack: str) -> str:
    frame = _FRAME.search(stack)
    alt = _ALT.search(stack)
    file_path = frame.group(1) if frame else alt.group(1) if alt else "unknown"
    normalized = re.sub(r"[A-Fa-f0-9]{32}", "HASH", message)
    normalized = re.sub(r"[A-Fa-f0-9-]{36}", "UUID", normalized)
    normalized = re.sub(r"\d{4}-\d{2}-\d{2}", "DATE", normalized)
    normalized = re.sub(r"\d{2}:\d{2}:\d{2}", "TIME", normalized)
    normalized = re.sub(r"\b\d+\b", "N", normalized)
    message_hash = hashlib.sha256(normalized.encode()).hexdigest()[:8]
    signature = f"{error_type}:{file_path}:{message_hash}"
    return hashlib.sha256(signature.encode()).hexdigest()[:12]


def seed_issue_fingerprint_id(title: str, body: str) -> str:
    """The seed's whole path for one logger issue: fields by regex, then the fingerprint."""
    fields = {name.lower(): value.strip() for name, value in _FIELD.findall(body)}
    stack_match = _STACK.search(body)
    title_match = _TITLE.match(title)
    error_type = fields.get("error type") or (title_match.group(1) if title_match else "Error")
    message = fields.get("message") or (title_match.group(2) if title_match else title)
    return seed_fingerprint_id(error_type, message, stack_match.group(1) if stack_match else "")
