"""Minified code without maps (issue #14, item 2): minifier names never take part in identity."""

from __future__ import annotations

from homeostat_core.fingerprint import fingerprint_stack, is_minified_frame
from homeostat_core.intake import parse_stack

BASE = "chrome-extension://hpoiebnmdefkcpbbhiegdgnhlmbmlbkn"
OTHER_INSTALL = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
MESSAGE = "Cannot read properties of undefined (reading 'notes')"


def test_two_builds_of_one_bundle_get_one_id():
    # Given one bug from two builds: minifier names and columns differ, installs differ
    release_1 = (
        f"    at Qe ({BASE}/dist/background.js:1:18034)\n    at Object.Zt ({BASE}/dist/background.js:1:20211)"
    )
    release_2 = f"    at xn ({OTHER_INSTALL}/dist/background.js:1:18502)\n    at Object.Ka ({OTHER_INSTALL}/dist/background.js:1:20690)"
    a = fingerprint_stack("TypeError", MESSAGE, release_1)
    b = fingerprint_stack("TypeError", MESSAGE, release_2)
    # Then the bundle's path and the message are the identity
    assert a.id == b.id
    assert a.file_path == "dist/background.js" and a.top_stack_frame == "? (dist/background.js)"


def test_longer_minifier_names_in_a_bundle_are_dropped_too():
    # A three-letter minified name would pass the short-name rule; the bundle evidence drops it
    a = fingerprint_stack("TypeError", MESSAGE, f"    at abc ({BASE}/dist/popup.js:1:4512)")
    b = fingerprint_stack("TypeError", MESSAGE, f"    at Kfe ({BASE}/dist/popup.js:1:4480)")
    assert a.id == b.id


def test_the_message_and_the_bundle_still_separate_bugs():
    stack = f"    at Qe ({BASE}/dist/background.js:1:18034)"
    assert (
        fingerprint_stack("TypeError", MESSAGE, stack).id != fingerprint_stack("TypeError", "other", stack).id
    )
    other_bundle = f"    at Qe ({BASE}/dist/popup.js:1:18034)"
    assert (
        fingerprint_stack("TypeError", MESSAGE, stack).id
        != fingerprint_stack("TypeError", MESSAGE, other_bundle).id
    )


def test_minified_is_judged_per_frame():
    # Given a page with one minified line (an inlined library) above two hand-written frames
    stack = (
        "    at I.e.fn.Ka [as index] (http://localhost:8080/file.js:10:3651)\n"
        "    at dumpExceptionError (http://localhost:8080/file.js:41:27)\n"
        "    at HTMLButtonElement.onclick (http://localhost:8080/file.js:107:146)"
    )
    frames = parse_stack(stack)
    assert [is_minified_frame(f) for f in frames] == [True, False, False]
    # Then the first hand-written name counts and the minified one does not
    assert (
        fingerprint_stack("Error", "Default error", stack).full_signature.split(":")[2]
        == "dumpExceptionError"
    )
    # And `.min.js` is minified whatever the column
    assert is_minified_frame(parse_stack(f"    at save ({BASE}/dist/app.min.js:4:20)")[0])


def test_hand_written_source_keeps_its_names():
    # Given ordinary source positions (not line 1 far along, no huge column)
    stack = (
        f"    at saveNote ({BASE}/src/lib/storage.js:12:18)\n    at onClick ({BASE}/src/popup/main.js:1:10)"
    )
    assert not any(is_minified_frame(f) for f in parse_stack(stack))
    fp = fingerprint_stack("TypeError", MESSAGE, stack)
    assert fp.top_stack_frame == "saveNote (src/lib/storage.js)"
    assert fp.full_signature.split(":")[2] == "saveNote"
