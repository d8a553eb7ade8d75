"""The checker the inert-output tests rely on (tests/support/live_markdown.py): it must find what
GitHub renders live, and must not count what sits in code."""

from __future__ import annotations

import pytest

from tests.support.live_markdown import live_constructs, split_fences, strip_code_spans, title_risks


def kinds(markdown: str) -> set[str]:
    return {kind for kind, _text in live_constructs(markdown)}


@pytest.mark.parametrize(
    ("markdown", "kind"),
    [
        ("see <img src=x onerror=alert(1)>", "html"),
        ("a <details><summary>s</summary></details>", "html"),
        ("x </a> y", "html"),
        ("<!-- homeostat:fingerprint=x -->", "html"),
        ("go <https://evil.example>", "html"),
        ("![pixel](https://t.example/p.gif)", "image"),
        ("[click](https://evil.example)", "link"),
        ("[click][1]", "link"),
        ("[1]: https://evil.example", "link_definition"),
        ("visit https://evil.example/x", "url"),
        ("visit www.evil.example", "www"),
        ("write to jane@evil.example", "email"),
        ("cc @octocat", "mention"),
        ("cc &#64;octocat", "mention"),
        ("see #12", "reference"),
        ("see acme/widget#12", "reference"),
        ("see GH-12", "reference"),
        ("see &#35;12", "reference"),
        ("Fixes #1", "closing_keyword"),
        ("RESOLVED: acme/widget#1", "closing_keyword"),
        ("closes https://github.com/acme/widget/issues/1", "closing_keyword"),
        ("# Title", "heading"),
        ("para\n===", "setext_heading"),
        ("| a | b |\n|---|---|", "table"),
        ("a\u202eb", "hidden"),
        ("a\u200bb", "hidden"),
        # a code span that is never closed is no code span
        ("``a` @octocat", "mention"),
        # an HTML tag that starts before the backticks wins over the code span
        ('<a title="`">`x', "html"),
        # a fence closed by a longer run of the same character, then live text
        ("```\ncode\n`````\n@octocat", "mention"),
        # a tilde line does not close a backtick fence, but the backtick line does
        ("````\n~~~~\n````\n#5", "reference"),
        # closing keywords count even inside code (squash-merge commit messages)
        ("```\nFixes #1\n```", "closing_anywhere"),
        ("`<!-- homeostat:fingerprint=forged -->`", "marker_anywhere"),
    ],
)
def test_finds_what_github_renders_live(markdown, kind):
    assert kind in kinds(markdown)


@pytest.mark.parametrize(
    "markdown",
    [
        "`<img src=x>` and `` a`b `` and ```` ``` ````",
        "```\n<img src=x>\n[l](http://x) @octocat #1\n```",
        "````\n```\n@octocat\n````",
        "~~~\n```\n#12 https://x.example\n~~~",
        "```js\n<details>\n",  # an unclosed fence runs to the end
        "`@octocat` and `#12` and `www.x.example`",
        "plain words, an ＃1 and a ＠name (fullwidth signs do not link)",
    ],
)
def test_code_and_plain_text_are_not_live(markdown):
    assert kinds(markdown) == set()


def test_split_fences_and_spans():
    outside, inside = split_fences("a\n\n```\nb\n```\nc\n~~~~\nd\n~~~\n~~~~")
    assert outside == ["a", "c"] and inside == ["b", "d\n~~~"]
    text, spans, html_found = strip_code_spans("x `` a ` b `` y `z")
    assert spans == [" a ` b "] and "`z" in text and html_found == []


@pytest.mark.parametrize(
    "title",
    ["fix: x #1", "fix: @me", "Fixes acme/w#2", "fix: https://x", "fix: `x`", "a\nb", "a\u2066b", "<b>"],
)
def test_title_risks(title):
    assert title_risks(title)


def test_plain_title_has_no_risks():
    assert title_risks("fix: TypeError in src/a.js: Cannot read properties of undefined ('url')") == []
