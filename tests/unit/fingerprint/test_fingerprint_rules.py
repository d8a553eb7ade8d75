"""Normalization rules: messages, error types, function names."""

from __future__ import annotations

import pytest

from homeostat_core.fingerprint import normalize_error_type, normalize_function, normalize_message

PHRASINGS = [
    (
        "TypeError",
        [
            "Cannot read properties of undefined (reading 'title')",
            "Cannot read properties of null (reading 'title')",
            "Cannot read property 'title' of undefined",
            'can\'t access property "title", note is undefined',
            "undefined is not an object (evaluating 'note.title')",
            "null is not an object (evaluating 'this.note.title')",
            "Unable to get property 'title' of undefined or null reference",
            "Uncaught TypeError: Cannot read properties of undefined (reading 'title')",
        ],
    ),
    (
        "TypeError",
        [
            "this.save is not a function",
            "'this.save' is not a function",
            "this.save is not a function. (In 'this.save()', 'this.save' is undefined)",
            "Object #<Object> has no method 'save'",
        ],
    ),
    ("ReferenceError", ["chrome is not defined", "Can't find variable: chrome", "'chrome' is undefined"]),
    (
        "SyntaxError",
        [
            "Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON",
            "Unexpected token < in JSON at position 0",
            "JSON.parse: unexpected character at line 1 column 1 of the JSON data",
            "JSON Parse error: Unrecognized token '<'",
        ],
    ),
    ("TypeError", ["Failed to fetch", "NetworkError when attempting to fetch resource.", "Load failed"]),
    (
        "RangeError",
        ["Maximum call stack size exceeded", "Maximum call stack size exceeded.", "too much recursion"],
    ),
]


@pytest.mark.parametrize(("error_type", "messages"), PHRASINGS)
def test_browser_phrasings_of_one_error_normalize_alike(error_type, messages):
    assert len({normalize_message(error_type, m) for m in messages}) == 1


@pytest.mark.parametrize(
    ("message", "normalized"),
    [
        ("Timeout after 3000ms on 10.0.0.12:8080", "Timeout after <n>ms on <ip>"),
        ("Note 8c7d5e3a-1b2c-4d5e-8f9a-0b1c2d3e4f5a missing", "Note <uuid> missing"),
        ("bad hash 3f2a1b9c8d7e6f50 and 0xdeadbeef", "bad hash <hex> and <hex>"),
        ("GET https://api.example.com/v1/notes?id=5 failed", "GET <url> failed"),
        ("mail to ann@example.org bounced", "mail to <email> bounced"),
        ("at 2025-03-18T18:45:00Z and 12:30:01", "at <timestamp> and <time>"),
        ("Key 'note-42' not found", "Key <str> not found"),
        ("Element 'sidebar' not found", "Element 'sidebar' not found"),
        ('Value "John Smith" rejected', "Value <str> rejected"),
        ("version v1.2.3 too old", "version <n> too old"),
        ("item3 failed", "item3 failed"),
        ("  spaced\n\tout  ", "spaced out"),
    ],
)
def test_variable_parts_become_tokens(message, normalized):
    assert normalize_message("Error", message) == normalized


def test_different_properties_stay_different():
    a = normalize_message("TypeError", "Cannot read properties of undefined (reading 'title')")
    b = normalize_message("TypeError", "Cannot read properties of undefined (reading 'body')")
    assert a != b


def test_ie_undefined_variable_rule_only_for_reference_errors():
    assert normalize_message("ReferenceError", "'x' is undefined") == "x is not defined"
    assert normalize_message("TypeError", "'x' is undefined") != "x is not defined"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Uncaught TypeError", "TypeError"),
        ("", "Error"),
        (None, "Error"),
        ("  ReferenceError ", "ReferenceError"),
    ],
)
def test_error_types(raw, normalized):
    assert normalize_error_type(raw) == normalized


def test_firefox_recursion_internal_error_is_a_range_error():
    assert normalize_error_type("InternalError", "too much recursion") == "RangeError"


@pytest.mark.parametrize(("error_type", "messages"), PHRASINGS)
def test_a_lost_type_is_the_one_the_message_implies(error_type, messages):
    # Loggers that report a generic Error (or none) for a browser's TypeError still group with it
    # (IE's "'x' is undefined" is a ReferenceError or a TypeError: alone it implies neither)
    for message in (m for m in messages if not m.endswith("' is undefined")):
        for given in ("Error", "", None, "Uncaught Error"):
            assert normalize_error_type(given, message) == error_type, (given, message)


@pytest.mark.parametrize(
    ("message", "implied"),
    [
        ("Uncaught (in promise) TypeError: x is undefined", "TypeError"),
        ("DOMException: The operation was aborted.", "Error"),  # not a name ending in Error
        ("QuotaExceededError: quota exceeded", "QuotaExceededError"),
        ("Extension context invalidated.", "Error"),
        ("Could not establish connection. Receiving end does not exist.", "Error"),
    ],
)
def test_a_named_type_in_the_message(message, implied):
    assert normalize_error_type("Error", message) == implied


def test_a_specific_type_is_never_overridden():
    assert normalize_error_type("DOMException", "x is not a function") == "DOMException"
    assert normalize_error_type("TypeError", "ReferenceError: x") == "TypeError"


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("renderNote", "renderNote"),
        ("async renderNote", "renderNote"),
        ("async*renderNote", "renderNote"),  # Firefox's async frames
        ("new CustomError", "CustomError"),
        ("Object.aha", "aha"),
        ("Foo.prototype.testMethod", "testMethod"),
        ("HTMLButtonElement.onclick", "onclick"),
        ("Object.d [as add]", None),  # minified
        ("Cloudcode\\Db->fetch", "fetch"),
        ("Db::connect", "connect"),
        ("<anonymous function: run>", "run"),
        ('obj["@fn"]', 'obj["@fn"]'),
        ("test/<", None),
        ("[2]</Bar.prototype._baz/</<", None),
        ("I.e.fn.(anonymous function) [as index]", None),
        ("Object.<anonymous>", None),
        ("Anonymous function", None),
        ("eval code", None),
        ("Global code", None),
        ("{main}", None),
        ("<module>", None),
        (None, None),
        ("", None),
        ("n", None),
    ],
)
def test_function_names(name, normalized):
    assert normalize_function(name) == normalized
