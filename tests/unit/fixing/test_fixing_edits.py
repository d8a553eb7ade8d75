"""The strict model answer format."""

from __future__ import annotations

import json

import pytest

from homeostat_core.fixing.edits import EditFormatError, parse_model_reply, render_reply
from homeostat_core.models import FileEdit

GOOD = {"summary": "Guard the list.", "edits": [{"path": "src/a.js", "search": "a.b", "replace": "a?.b"}]}


def test_plain_json_object_is_accepted():
    reply = parse_model_reply(json.dumps(GOOD))
    assert reply.summary == "Guard the list."
    assert reply.edits == (FileEdit("src/a.js", "a.b", "a?.b"),)


def test_one_json_fence_is_accepted_and_round_trips():
    text = render_reply(GOOD["summary"], [FileEdit(**GOOD["edits"][0])])
    assert text.startswith("```json\n")
    assert parse_model_reply("\n" + text + "\n").edits[0].replace == "a?.b"


def test_empty_edits_means_declined():
    assert parse_model_reply('{"summary": "cannot tell", "edits": []}').edits == ()


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ("Sure! Here is the fix:\n```json\n" + json.dumps(GOOD) + "\n```", "must be a JSON object"),
        ("```json\n" + json.dumps(GOOD) + "\n```\nHope this helps", "one ```json fenced block"),
        ("```json\n{}\n```\n```json\n{}\n```", "one ```json fenced block"),
        ("diff --git a/src/a.js b/src/a.js", "must be a JSON object"),
        ('{"summary": "x", "edits": [', "invalid JSON"),
        ('{"summary": "x", "edits": [], "note": 1}', "exactly the keys summary and edits"),
        ('{"summary": "x", "summary": "y", "edits": []}', "duplicate key 'summary'"),
        ('{"summary": "", "edits": []}', "summary must be a non-empty string"),
        ('{"summary": "x", "edits": {}}', "edits must be a list"),
        ('{"summary": "x", "edits": [{"path": "a", "search": "b"}]}', "missing ['replace']"),
        (
            '{"summary": "x", "edits": [{"path": "a", "search": "", "replace": "c"}]}',
            "search must not be empty",
        ),
        (
            '{"summary": "x", "edits": [{"path": "a", "search": "b", "replace": 3}]}',
            "replace must be a string",
        ),
        ('{"summary": "x", "edits": [{"path": "a", "search": "b", "replace": "b"}]}', "identical"),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_anything_else_is_a_format_error_that_says_why(reply, message):
    with pytest.raises(EditFormatError) as caught:
        parse_model_reply(reply)
    assert message in str(caught.value)
