"""Every hidden thing Homeostat writes into GitHub text and reads back: the markers that tie a PR
or a comment to a fingerprint (comments are edited in place by marker, never repeated) and the
state block in a PR body."""

from __future__ import annotations

import json
import re
from typing import Any

from homeostat_core.report.inert import GH_REFERENCE

UNPARSEABLE_MARKER = "<!-- homeostat:unparseable -->"
REJECTED_MARKER = "<!-- homeostat:rejected -->"
GAVE_UP_MARKER = "<!-- homeostat:gave-up -->"
HANDED_OVER_MARKER = "<!-- homeostat:handed-over -->"
CLOSED_MARKER = "<!-- homeostat:closed -->"
PENDING_RELEASE_MARKER = "<!-- homeostat:fixed-pending-release -->"
NO_DRAFTS_MARKER = "<!-- homeostat:no-drafts -->"
REGRESSED_MARKER = "<!-- homeostat:regressed -->"
FIXED_IN_RELEASE_MARKER = "<!-- homeostat:fixed-in-release -->"
OPTED_OUT_MARKER = "<!-- homeostat:opted-out -->"
NO_CI_MARKER = "<!-- homeostat:no-ci -->"

# The state of the attempt that wrote the PR body, hidden: an HTML comment no reader sees. Bodies
# written before it carry the same JSON in a visible block, still read.
STATE_MARKER = re.compile(r"<!-- homeostat:state (\{.*?\}) -->", re.DOTALL)
STATE_BLOCK = re.compile(r"### Homeostat State\n```json\n(.*?)\n```", re.DOTALL)


def pr_marker(fingerprint_id: str) -> str:
    return f"<!-- homeostat:fingerprint={fingerprint_id} -->"


def issue_comment_marker(fingerprint_id: str) -> str:
    return f"<!-- homeostat:issue-comment={fingerprint_id} -->"


def state_marker(state: dict[str, Any]) -> str:
    return f"<!-- homeostat:state {inert_json(state)} -->"


def inert_json(state: dict[str, Any]) -> str:
    """JSON that means nothing to GitHub even as plain text and cannot end its HTML comment: a
    string cannot hold a backtick, `<`, `>`, `&`, `#`, `@` or `//` (written as escapes, which JSON
    reads back as the same characters)."""
    text = json.dumps(state, separators=(",", ":"))
    for char in "`<>&#@":
        text = text.replace(char, f"\\u{ord(char):04x}")
    text = GH_REFERENCE.sub(lambda m: m.group(0)[:2] + "\\u002d", text)
    return text.replace("//", "\\/\\/")  # no URL either


def parse_state_block(body: str) -> dict[str, Any] | None:
    """The state JSON written by render_pr_body, or None when the body has none (or it is broken).

    The last one counts: Homeostat writes its own after every piece of untrusted text, so a
    look-alike inside a quoted summary or stack cannot stand in for it."""
    matches = list(STATE_MARKER.finditer(body or "")) or list(STATE_BLOCK.finditer(body or ""))
    if not matches:
        return None
    try:
        data = json.loads(matches[-1].group(1))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
