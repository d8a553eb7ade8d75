"""The rooms of the house: which modules make up each part of Homeostat, and which parts each may
import. docs/ARCHITECTURE.md ("Rooms") shows the same table; every import between Homeostat's
modules (imports inside functions included) is checked against it.

A module in no room fails with the row to add: a new package or top-level module gets its row in
ROOMS and RULES here and in docs/ARCHITECTURE.md, in the same change.
"""

from __future__ import annotations

import re

from tests.unit.house.imports import ROOT, Import, imports, modules

# room → its modules and packages (`x` is homeostat_core.x; `functions` is the handlers' package;
# the longest match wins, so `adapters.wiring` is a room of its own inside `adapters`)
ROOMS: dict[str, tuple[str, ...]] = {
    "handlers": ("functions",),
    "drivers": ("cli", "commands", "local"),
    "wiring": ("adapters.wiring",),
    "adapters": ("adapters",),
    "entry": ("worker", "webhook", "jobs", "learning", "wakes", "repos_file"),
    "steering": ("steering",),
    "pipeline": ("pipeline",),
    "settlement": ("settlement",),
    "fixing": ("fixing",),
    "scrubbing": ("fixing.scrub", "fixing.scrub_rules", "fixing.scrub_personal"),
    "patterns": ("patterns",),
    "report": ("report",),
    "sourcing": ("sourcing",),
    "symbolication": ("symbolication",),
    "intake": ("intake", "fingerprint", "fingerprint_history", "fingerprint_legacy"),
    "state": ("attempts", "budget", "lifecycle", "outcomes", "releases", "run_report"),
    "kernel": (
        "homeostat_core",
        "models",
        "config",
        "config_paths",
        "config_readers",
        "ports",
        "versions",
        "settings",
        "ci_verdict",
        "observability",
        "steering.port",
        "wake_ports",
    ),
}

CORE = frozenset(
    {"state", "intake", "symbolication", "sourcing", "fixing", "scrubbing", "patterns", "report"}
)
# room → the rooms it may import (its own modules always)
RULES: dict[str, frozenset[str]] = {
    "handlers": frozenset({"wiring", "adapters", "entry", "kernel"}),
    "drivers": frozenset(set(ROOMS) - {"drivers"}),
    "wiring": frozenset({"adapters", "entry", "kernel", "state", "fixing", "scrubbing"}),
    "adapters": frozenset(CORE | {"kernel"}),
    "entry": frozenset({"steering", "pipeline", "settlement", "state", "kernel"}),
    "steering": frozenset({"entry", "pipeline", "fixing", "sourcing", "report", "state", "kernel"}),
    "pipeline": frozenset(CORE | {"settlement", "kernel"}),
    "settlement": frozenset({"fixing", "scrubbing", "patterns", "report", "state", "kernel"}),
    "fixing": frozenset({"sourcing", "scrubbing", "kernel"}),
    "scrubbing": frozenset(),
    "patterns": frozenset({"state", "kernel"}),
    "report": frozenset({"scrubbing", "state", "kernel"}),
    "sourcing": frozenset({"symbolication", "intake", "kernel"}),
    "symbolication": frozenset({"intake", "kernel"}),
    "intake": frozenset({"kernel"}),
    "state": frozenset({"kernel"}),
    "kernel": frozenset({"scrubbing"}),
}

# (importing module, imported module) → why this import crosses the rules
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("sourcing.context", "fixing.prompts"): (
        "`homeostat context` shows the prompt a run would send, so it builds it with the fix engine's builder"
    ),
    ("sourcing.context", "fixing.model_settings"): "the prompt it builds is fitted to the model's settings",
    ("sourcing.symbols", "fixing.validation"): "a file's symbols are read with the parser validation uses",
}


def _full(member: str) -> str:
    return member if member in ("functions", "homeostat_core") else f"homeostat_core.{member}"


def _short(module: str) -> str:
    return module.removeprefix("homeostat_core.")


def room_of(module: str) -> str | None:
    best: tuple[int, str] | None = None
    for room, members in ROOMS.items():
        for member in map(_full, members):
            # `homeostat_core` is the package's own __init__, not everything under it
            inside = member != "homeostat_core" and module.startswith(member + ".")
            if (module == member or inside) and (best is None or len(member) > best[0]):
                best = (len(member), room)
    return best[1] if best else None


def violations(edges: list[Import]) -> list[str]:
    found = []
    for edge in edges:
        source, target = room_of(edge.source), room_of(edge.target)
        if source is None or target is None or source == target or target in RULES[source]:
            continue
        if (_short(edge.source), _short(edge.target)) in EXCEPTIONS:
            continue
        where = "inside a function" if edge.in_function else "at module level"
        found.append(
            f"{edge.source}:{edge.line} imports {edge.target} {where}: room {source} may not import "
            f"room {target} (RULES in tests/unit/house/test_rooms.py and docs/ARCHITECTURE.md)"
        )
    return found


def test_every_module_is_in_a_room():
    homeless = sorted(m for m in modules() if room_of(m) is None)
    assert homeless == [], (
        f"modules in no room: {homeless}. Add the package (or module) to ROOMS and its row to RULES in "
        "tests/unit/house/test_rooms.py, and the same row to the Rooms table of docs/ARCHITECTURE.md"
    )


def test_every_import_follows_the_rules_inside_functions_too():
    edges = imports()
    assert any(e.in_function for e in edges), "the scan found no import inside a function: it is not looking"
    assert violations(edges) == []


def test_the_rule_checker_catches_a_forbidden_import_inside_a_function():
    # Given the kernel importing the pipeline, only inside a function
    edges = [Import("homeostat_core.models", "homeostat_core.pipeline.run", 7, True, "lazy")]
    # Then it is refused all the same, naming both rooms
    assert violations(edges) == [
        "homeostat_core.models:7 imports homeostat_core.pipeline.run inside a function: room kernel may not "
        "import room pipeline (RULES in tests/unit/house/test_rooms.py and docs/ARCHITECTURE.md)"
    ]
    # and an allowed one passes
    assert violations([Import("homeostat_core.pipeline.run", "homeostat_core.models", 1, False, "")]) == []


def test_every_exception_is_still_needed():
    edges = {(_short(e.source), _short(e.target)) for e in imports()}
    stale = [pair for pair in EXCEPTIONS if pair not in edges]
    assert stale == [], f"exceptions no import uses any more (remove them): {stale}"
    allowed_anyway = [
        (a, b)
        for a, b in EXCEPTIONS
        if room_of(_full(b)) in RULES[room_of(_full(a))]  # type: ignore[index]
    ]
    assert allowed_anyway == [], f"exceptions the rules already allow (remove them): {allowed_anyway}"


def test_every_room_has_rules_naming_only_rooms():
    assert set(RULES) == set(ROOMS)
    assert all(allowed <= set(ROOMS) for allowed in RULES.values())


def _doc_rooms() -> dict[str, tuple[set[str], set[str]]]:
    """The Rooms table of docs/ARCHITECTURE.md: room → (its modules, the rooms it may import)."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("\n## Rooms", 1)[1].split("\n## ", 1)[0]
    table = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("**"):
            continue
        room = cells[0].strip("*")
        members = set(re.findall(r"`([^`]+)`", cells[1]))
        allowed = set(re.findall(r"\*\*([a-z]+)\*\*", cells[2]))
        if cells[2] == "every other room":
            allowed = set(ROOMS) - {room}
        table[room] = ({m.removesuffix("/") for m in members}, allowed)
    return table


def test_the_architecture_doc_shows_exactly_these_rooms_and_rules():
    documented = _doc_rooms()
    assert set(documented) == set(ROOMS), f"rooms: doc {sorted(documented)}, RULES {sorted(ROOMS)}"
    for room, (members, allowed) in documented.items():
        assert members == set(ROOMS[room]), (
            f"{room}: the doc lists {sorted(members)}, ROOMS {sorted(ROOMS[room])}"
        )
        assert allowed == set(RULES[room]), (
            f"{room}: the doc says it may import {sorted(allowed)}, RULES {sorted(RULES[room])}"
        )
