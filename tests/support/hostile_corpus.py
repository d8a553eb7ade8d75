"""Hostile strings for the inert-output tests, generated deterministically (no randomness).

Each class of attack on what Homeostat publishes (issue/PR Markdown, titles, commit messages,
hidden markers, the JSON state block) has base payloads; `corpus()` crosses them with the places
a payload can sit in a line of text (alone, after words, inside backticks, after a newline,
inside a fence it tries to close). `CLASSES` names every class, so a test can assert each one
is covered.
"""

from __future__ import annotations

import itertools

CLOSING_KEYWORDS = ("close", "closes", "closed", "fix", "fixes", "fixed", "resolve", "resolves", "resolved")
_CASES = (
    str.lower,
    str.title,
    str.upper,
    lambda w: "".join(c.upper() if i % 2 else c for i, c in enumerate(w)),
)
_TARGETS = (" #1", ": #2", " acme/widget#3", " GH-4", " https://github.com/acme/widget/issues/5", "  #6")

PAYLOADS: dict[str, tuple[str, ...]] = {
    "html": (
        "<img src=x onerror=alert(1)>",
        '<img src="https://track.example/p.gif" width="1" height="1">',  # tracking pixel
        "<details><summary>Click</summary>hidden</details>",
        '<a href="https://evil.example/login">Sign in again</a>',
        "<script>alert(document.cookie)</script>",
        "<iframe src=https://evil.example></iframe>",
        "<svg onload=alert(1)>",
        "<h1>Owned</h1>",
        "<table><tr><td>x</td></tr></table>",
        '<picture><source srcset="https://evil.example/a.png"></picture>',
        "<style>body{display:none}</style>",
        "</code></pre><b>bold</b>",
        "<sub>tiny</sub><sup>up</sup>",
    ),
    "image": (
        "![pixel](https://track.example/p.gif)",
        "![](x.png)",
        '![alt](https://evil.example/a.png "title")',
        "![ref][img]\n\n[img]: https://evil.example/i.png",
    ),
    "link": (
        "[click here](https://evil.example/phish)",
        "[docs](javascript:alert(1))",
        "[ref link][1]\n\n[1]: https://evil.example",
        "[x]: https://evil.example",
    ),
    "autolink": (
        "<https://evil.example>",
        "<mailto:boss@evil.example>",
        "https://evil.example/a?b=c",
        "www.evil.example",
        "ping boss@evil.example now",
    ),
    "reference": (
        "#1",
        "#12345",
        "acme/widget#7",
        "GH-3",
        "see (#8)",
        "https://github.com/acme/widget/pull/9",
    ),
    "mention": ("@octocat", "@acme/security-team", "cc @admin please", "(@ghost)", "email@ admin @x"),
    "fence": (
        "```",
        "```\n# heading after a closed fence",
        "````\n<img src=x>",
        "~~~\n@octocat",
        "`` ` ``",
        "`` `@octocat` ``",
        "``````````````````````````````\n@octocat #1",
        "~~~~~~~~~~~~~~~~~~~\n#2",
        "```json\n{}\n```",
    ),
    "comment_forgery": (
        "<!-- homeostat:fingerprint=deadbeef0000 -->",
        "<!-- homeostat:issue-comment=deadbeef0000 -->",
        "<!-- homeostat:rejected -->",
        "<!-- homeostat:unparseable -->",
        "<!--",
        "-->",
        "<!-- hidden instructions for reviewers -->",
    ),
    "heading": ("# Approved by security", "## 🤖 Homeostat Auto-Fix", "### Homeostat State", "Title\n====="),
    "table": ("| a | b |\n|---|---|\n| 1 | 2 |", "|---|", "a|b\n-|-"),
    "unicode": (
        "admin\u202egnp.exe",  # right-to-left override
        "\u2066hidden\u2069 isolate",
        "zero\u200bwidth #\u200b1 @\u200boctocat",
        "\ufeffBOM and \u200dZWJ",
        "line\u2028separator Fixes #1",
        "nul\u0000byte and \u001b[31mansi",
        "\u00adsoft hyphen",
    ),
    "entity": ("&#35;1", "&#64;octocat", "&lt;img src=x&gt;", "&#x3C;img src=x&#x3E;", "Fixes &#35;1"),
    "long": ("A" * 100_000, "`" * 5_000, "#1 " * 20_000, "@x " * 20_000, "<img>" * 10_000),
    "newline": (
        "first line\nFixes #1",
        "title\r\nCloses #2",
        "a\rResolves #3",
        "x\u0085Fixed #4",
        "\n\n# Heading",
    ),
    "json": (
        '"}, "attempts": 99, "x": {"',
        '\\"',
        "\\u0000",
        "### Homeostat State\n```json\n" + '{"attempts": 99, "fingerprint": "deadbeef0000"}' + "\n```",
        "\u2028\u2029",
        '</script>{"a":1}',
    ),
    "emoji": (":+1: :shipit: :skull:",),
}


def closing_keyword_payloads() -> tuple[str, ...]:
    """Every keyword x four spellings of case x six ways of naming the issue."""
    return tuple(
        case(word) + target for word, case, target in itertools.product(CLOSING_KEYWORDS, _CASES, _TARGETS)
    )


PAYLOADS["closing_keyword"] = closing_keyword_payloads()

CLASSES = tuple(PAYLOADS)

# Where a payload sits in a line: alone, after words, in backticks, after a newline, in a fence.
CONTEXTS = (
    "{p}",
    "Cannot read properties of undefined {p} (reading 'url')",
    "`{p}`",
    "ok\n{p}\nend",
    "```\n{p}\n```",
)


def corpus() -> list[tuple[str, str]]:
    """(class, hostile string) pairs: every payload alone, and the short ones in every context."""
    items: list[tuple[str, str]] = []
    for kind, payloads in PAYLOADS.items():
        for payload in payloads:
            contexts = CONTEXTS if len(payload) < 1_000 else CONTEXTS[:1]
            items.extend((kind, context.format(p=payload)) for context in contexts)
    return list(dict.fromkeys(items))
