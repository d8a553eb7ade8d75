"""Vendored code: a library the extension ships but did not write. It is never the top frame; the
nearest own-code caller is (the library's window may still be shown).

Vendored when: under repos.yml `vendor_paths`; in a vendor folder (`vendor/`, `third_party/`,
`node_modules/`…); a minified `.min.js`; a well-known library by name (the intake's list); or a
file whose head carries a library's license banner (`/*!`, `@license`, "Licensed under…") and is
large, minified or UMD-wrapped. A plain `lib/` folder is not enough: many extensions keep their
own code there.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

from homeostat_core.config import RepoConfig
from homeostat_core.intake.paths import location_is_in_app

VENDOR_SEGMENTS = frozenset(
    {
        "node_modules",
        "bower_components",
        "jspm_packages",
        "web_modules",
        "vendor",
        "vendors",
        "vendored",
        "third_party",
        "third-party",
        "thirdparty",
        "3rdparty",
        "external",
        "externals",
    }
)
LARGE_LIBRARY_BYTES = 30_000
MINIFIED_LINE_CHARS = 250  # average line length of a minified head
_MINIFIED_NAME = re.compile(r"[.-]min\.[mc]?js$")
_BANNER = re.compile(
    r"/\*!|@license|@preserve|SPDX-License-Identifier|licensed under|released under"
    r"|\b(?:MIT|BSD|ISC|Apache|LGPL|GPL|MPL)[- ]?(?:licen[sc]e|v?\d)",
    re.IGNORECASE,
)
_UMD = re.compile(r"define\.amd|typeof\s+exports\b")
_HEAD_CHARS = 2000


def vendored_reason(path: str, repo: RepoConfig, size: int = 0, text: str | None = None) -> str | None:
    """Why `path` is vendored code, or None when it is the extension's own."""
    lowered = path.lower()
    for entry in repo.vendor_paths:
        prefix = entry.strip("/").lower()
        if fnmatchcase(lowered, prefix) or lowered == prefix or lowered.startswith(prefix + "/"):
            return f"listed in vendor_paths ({entry})"
    folders = lowered.split("/")[:-1]
    for folder in folders:
        if folder in VENDOR_SEGMENTS:
            return f"in a {folder}/ folder"
    if _MINIFIED_NAME.search(lowered):
        return "a minified library file"
    if not location_is_in_app(path, path):
        return "a well-known library"
    if text is None:
        return None
    head = text[:_HEAD_CHARS]
    lines = head.count("\n") + 1
    minified = len(head) >= _HEAD_CHARS and len(head) / lines > MINIFIED_LINE_CHARS
    if _BANNER.search(head) and (
        max(size, len(text)) >= LARGE_LIBRARY_BYTES or minified or _UMD.search(head)
    ):
        return "a library (license banner)"
    return None
