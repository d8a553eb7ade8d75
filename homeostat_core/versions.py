"""Extension versions: semantic versions and Chrome's dotted versions, compared safely.

Chrome accepts one to four dot-separated integers (`1`, `1.2`, `1.2.3.4`); npm's semver adds a
pre-release (`1.2.0-beta.1`, lower than `1.2.0`) and build metadata (`+sha`, ignored). Anything
else is unknown: `parse_version` returns None and callers treat it as "no version", never crash.
"""

from __future__ import annotations

import re

_VERSION = re.compile(  # ASCII digits only: "９" is not a version
    r"^\s*v?(?P<nums>\d{1,9}(?:\.\d{1,9}){0,3})(?:-(?P<pre>[0-9A-Za-z.-]{1,64}))?(?:\+[0-9A-Za-z.-]{1,64})?\s*$",
    re.ASCII,
)

Version = tuple


def parse_version(text: object) -> Version | None:
    """A comparable key for `text`, or None when it is not a version."""
    if not isinstance(text, str):
        return None
    match = _VERSION.match(text)
    if not match:
        return None
    numbers = [int(part) for part in match.group("nums").split(".")]
    numbers += [0] * (4 - len(numbers))
    pre = match.group("pre")
    # a release sorts after its pre-releases; pre-release identifiers compare numerically or as text
    tail = (
        (1, ())
        if pre is None
        else (0, tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")))
    )
    return (*numbers, *tail)


def version_from_manifest(text: str | None) -> str | None:
    """The `version` of a manifest.json / package.json text (comments tolerated), or None."""
    if not text:
        return None
    import json

    try:
        data = json.loads(text)
        value = data.get("version") if isinstance(data, dict) else None
    except ValueError:
        found = re.search(r'"version"\s*:\s*"([^"\n]{1,64})"', text)
        value = found.group(1) if found else None
    return value if isinstance(value, str) and parse_version(value) is not None else None


def version_of_tag(name: object) -> str | None:
    """The version a tag or release title names (`v1.3.0` and `1.3.0` → `1.3.0`), or None.

    Only a whole name counts: `notebridge-1.3.0` or `release 2` name no version of this extension."""
    if not isinstance(name, str) or parse_version(name) is None:
        return None
    return name.strip().removeprefix("v")
