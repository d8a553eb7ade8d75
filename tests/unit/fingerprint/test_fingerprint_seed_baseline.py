"""The seed's fingerprinter (shared/patterns/fingerprinter.ts) as a baseline, re-stated in Python.

Seed: filePath = first `at X (file:line:col)` up to the first ':' (else the first `/path:l:c`),
message with only 32-hex / UUID / date / time / digit runs replaced, signature type:file:hash.
Each case below is one the seed gets wrong and Homeostat gets right.
"""

from __future__ import annotations

import hashlib
import re

from homeostat_core.fingerprint import fingerprint_stack

CHROME_BASE = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"


def seed_fingerprint_id(error_type: str, message: str, stack: str) -> str:
    frame = re.search(r"at [^\s]+ \(([^:]+):(\d+):(\d+)\)", stack)
    alt = re.search(r"(\/[\w./-]+):(\d+):(\d+)", stack)
    file_path = frame.group(1) if frame else alt.group(1) if alt else "unknown"
    normalized = re.sub(r"[A-Fa-f0-9]{32}", "HASH", message)
    normalized = re.sub(r"[A-Fa-f0-9-]{36}", "UUID", normalized)
    normalized = re.sub(r"\d{4}-\d{2}-\d{2}", "DATE", normalized)
    normalized = re.sub(r"\d{2}:\d{2}:\d{2}", "TIME", normalized)
    normalized = re.sub(r"\b\d+\b", "N", normalized)
    message_hash = hashlib.sha256(normalized.encode()).hexdigest()[:8]
    signature = f"{error_type}:{file_path}:{message_hash}"
    return hashlib.sha256(signature.encode()).hexdigest()[:12]


def both(error_type: str, message: str, stack: str) -> tuple[str, str]:
    return seed_fingerprint_id(error_type, message, stack), fingerprint_stack(error_type, message, stack).id


def test_seed_baseline_matches_its_own_simple_case():
    # Sanity: the re-statement behaves like the seed on the seed's own fixture shape
    stack = "TypeError: x\n    at handler (background/index.js:10:2)"
    assert seed_fingerprint_id("TypeError", "x", stack) == seed_fingerprint_id("TypeError", "x", stack + "\n")


def test_same_bug_in_chrome_and_firefox():
    chrome = both(
        "TypeError",
        "Cannot read properties of undefined (reading 'title')",
        f"TypeError: x\n    at renderNote ({CHROME_BASE}/src/popup/render.js:42:17)",
    )
    firefox = both(
        "TypeError",
        'can\'t access property "title", note is undefined',
        "renderNote@moz-extension://8c7d5e3a-1b2c-4d5e-8f9a-0b1c2d3e4f5a/src/popup/render.js:40:9",
    )
    assert chrome[0] != firefox[0]  # seed: two groups
    assert chrome[1] == firefox[1]  # Homeostat: one


def test_same_bug_from_two_firefox_installs():
    stack = "renderNote@moz-extension://{uuid}/src/popup/render.js:40:9"
    a = both("TypeError", "boom", stack.format(uuid="8c7d5e3a-1b2c-4d5e-8f9a-0b1c2d3e4f5a"))
    b = both("TypeError", "boom", stack.format(uuid="0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f"))
    assert a[0] != b[0]  # seed: the per-install UUID is part of its file path
    assert a[1] == b[1]


def test_same_bug_in_chrome_and_edge_stores():
    # The Chrome Web Store and Edge Add-ons give the same extension different ids
    stack = "TypeError: x\n    at save (chrome-extension://{id}/src/options/form.js:5:1)"
    chrome = both("TypeError", "x is not a function", stack.format(id="abcdefghijklmnopabcdefghijklmnop"))
    edge = both("TypeError", "x is not a function", stack.format(id="ponmlkjihgfedcbaponmlkjihgfedcba"))
    assert chrome[0] != edge[0]
    assert chrome[1] == edge[1]


def test_different_bugs_that_surface_in_the_same_library_frame():
    # Both errors are thrown inside the polyfill; the app code that called it differs
    polyfill = f"    at Object.sendMessage ({CHROME_BASE}/lib/browser-polyfill.js:1:200)"
    a = both(
        "Error",
        "Extension context invalidated.",
        f"Error: x\n{polyfill}\n    at saveNote ({CHROME_BASE}/src/popup/save.js:5:1)",
    )
    b = both(
        "Error",
        "Extension context invalidated.",
        f"Error: x\n{polyfill}\n    at syncAll ({CHROME_BASE}/src/background/sync.js:9:3)",
    )
    assert a[0] == b[0]  # seed: file = the polyfill for both — two bugs merged
    assert a[1] != b[1]


def test_variable_data_the_seed_leaves_in_the_message():
    stack = f"Error: x\n    at sync ({CHROME_BASE}/src/background/sync.js:9:3)"
    a = both("Error", "Sync failed for ann@example.org at https://api.example.com/u/ann", stack)
    b = both("Error", "Sync failed for bob@example.org at https://api.example.com/u/bob", stack)
    assert a[0] != b[0]
    assert a[1] == b[1]
