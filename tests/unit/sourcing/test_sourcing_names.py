"""Names from frames and messages: what a person wrote, never what a minifier made."""

from __future__ import annotations

import pytest

from homeostat_core.sourcing.names import FrameName, frame_name, message_names
from homeostat_core.sourcing.symbols import SymbolIndex, definitions_in


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        ("async MessageRouter.handleMessage", FrameName("handleMessage", "MessageRouter")),
        ("MessageRouter.prototype.handleMessage", FrameName("handleMessage", "MessageRouter")),
        ("Object.handleMessage", FrameName("handleMessage")),
        ("new Highlighter", FrameName("Highlighter")),
        ("refreshCounts/<", FrameName("refreshCounts")),
        ("async*saveDraft", FrameName("saveDraft")),
        ("t.handleMessage", FrameName("handleMessage")),
        ("e.<computed> [as saveDraft]", FrameName("saveDraft")),
        ("trackError", FrameName("trackError")),
    ],
)
def test_a_frame_names_its_function_and_class(function, expected):
    assert frame_name(function) == expected


@pytest.mark.parametrize(
    "function",
    [None, "", "c", "Xe", "yOe", "_0x3fa2", "a1", "Object.v", "HTMLButtonElement.<anonymous>", "Array.map"]
    + ["Promise.all", "async Promise.all", "Generator.next", "step", "fulfilled", "__awaiter", "<anonymous>"],
)
def test_minified_names_helpers_and_built_ins_name_nothing(function):
    assert frame_name(function) is None


def test_minified_names_never_match_a_definition_even_when_one_exists():
    # Given source that really has a function called `e` (as minified code would)
    text = "function e(){}\nfunction t(){}\nexport function saveDraft(){}\n"
    index = SymbolIndex({"src/a.js": len(text)}, {"src/a.js": text}.get)
    assert {d.name for d in definitions_in("src/a.js", text)} >= {"e", "t", "saveDraft"}
    # Then frames named by a minifier resolve to nothing; a real name does
    assert frame_name("e") is None and frame_name("Object.t") is None
    assert index.lookup(["saveDraft"])["saveDraft"][0].path == "src/a.js"


@pytest.mark.parametrize(
    ("message", "names"),
    [
        ("RETRY_LIMITS is not defined", ["RETRY_LIMITS"]),
        ("Can't find variable: RETRY_LIMITS", ["RETRY_LIMITS"]),
        ("Cannot access 'store' before initialization", ["store"]),
        ("Cannot read properties of undefined (reading 'groupId')", ["groupId"]),
        ("Cannot read property 'groupId' of null", ["groupId"]),
        (
            'can\'t access property "value", form.elements.blocklist is undefined',
            ["value", "blocklist", "form"],
        ),
        ("undefined is not an object (evaluating 'this.store.cache')", ["cache", "store"]),
        ("this.store.load is not a function", ["load"]),
        ("(intermediate value).saveAll is not a function", ["saveAll"]),
        ("settings is undefined", ["settings"]),
        ("Failed to fetch", []),
    ],
)
def test_messages_name_what_the_fix_is_about(message, names):
    assert message_names(message).names() == names
