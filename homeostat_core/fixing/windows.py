"""Source windows: which lines of which files a prompt shows.

A target is a frame's line — shown as its enclosing function when that is small (tree-sitter,
JS/TS), else as the top-level statement around it when that is small, else ±N lines — or a
fixed span: a function found by name (a bundle without a map, an older build), a definition or
the lines that load scripts (what the fix needs, homeostat_core/sourcing/needs.py). Windows of
one file that overlap are merged; each says why it is shown.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from homeostat_core.fixing.validation import parser_for

MIN_FUNCTION_LINES = 6  # a smaller enclosing function is widened to its parent
FUNCTION_NODE_TYPES = frozenset(
    {
        "function_declaration",
        "function_expression",
        "function",
        "arrow_function",
        "method_definition",
        "generator_function_declaration",
        "generator_function",
    }
)


@dataclass(frozen=True, slots=True)
class Target:
    """One place to show: a frame's line, or a span of lines with the reason to show it."""

    path: str
    line: int
    column: int | None = None
    function: str | None = None
    span: tuple[int, int] | None = None  # a fixed range: a function found by name, a definition
    why: str = ""
    top: bool = False  # the top frame or one of its twins: kept when only the top is shown
    focus: bool = True  # an error position (False: context, e.g. a definition)
    guessed: bool = False  # the line was found by name, not read from the trace


@dataclass(frozen=True, slots=True)
class Focus:
    line: int
    column: int | None
    function: str | None
    guessed: bool = False


@dataclass(frozen=True, slots=True)
class Window:
    """Lines start..end (1-based, inclusive) of `path`, around one or more targets."""

    path: str
    start: int
    end: int
    focuses: tuple[Focus, ...]
    enclosing: str | None = None  # "function" when the window is a whole function
    whys: tuple[str, ...] = ()


class FunctionFinder:
    """Enclosing-function ranges through tree-sitter, one parse per file."""

    def __init__(self) -> None:
        self._trees: dict[str, Any] = {}

    def range_for(self, path: str, text: str, line: int, max_lines: int) -> tuple[int, int, str] | None:
        """(start, end, "function" | "statement") around `line`, at most `max_lines` long."""
        parser = parser_for(posixpath.splitext(path)[1].lower())
        if parser is None or max_lines <= 0:
            return None
        if path not in self._trees:
            self._trees[path] = parser.parse(text.encode("utf-8"))
        root = self._trees[path].root_node
        lines = text.splitlines()
        if not 1 <= line <= len(lines):
            return None
        row = line - 1
        indent = len(lines[row]) - len(lines[row].lstrip())
        node = root.descendant_for_point_range((row, indent), (row, max(indent, len(lines[row]) - 1)))
        functions = []
        statement = None
        while node is not None:
            if node.type in FUNCTION_NODE_TYPES:
                functions.append((node.start_point[0] + 1, node.end_point[0] + 1))
            if node.parent is not None and node.parent.type == "program":
                statement = (node.start_point[0] + 1, node.end_point[0] + 1)
            node = node.parent
        chosen = None
        for start, end in functions:  # innermost first
            if end - start + 1 > max_lines:
                break
            chosen = (start, end, "function")
            if end - start + 1 >= MIN_FUNCTION_LINES:
                break
        if chosen is None and not functions and statement and statement[1] - statement[0] + 1 <= max_lines:
            return (*statement, "statement")  # module-level code: the whole top-level statement
        return chosen


def _merge(windows: list[Window]) -> list[Window]:
    merged: list[Window] = []
    for w in sorted(windows, key=lambda w: (w.path, w.start)):
        last = merged[-1] if merged else None
        if last and last.path == w.path and w.start <= last.end + 1:
            merged[-1] = Window(
                path=w.path,
                start=last.start,
                end=max(last.end, w.end),
                focuses=last.focuses + w.focuses,
                enclosing=last.enclosing if last.enclosing == w.enclosing else None,
                whys=tuple(dict.fromkeys(last.whys + w.whys)),
            )
        else:
            merged.append(w)
    return merged


def build_windows(
    targets: Sequence[Target],
    sources: dict[str, str],
    *,
    context_lines: int,
    max_function_lines: int,
    finder: FunctionFinder | None = None,
) -> list[Window]:
    """One window per target, merged where they overlap; ordered as the targets are (the top
    frame's file first)."""
    finder = finder or FunctionFinder()
    windows: list[Window] = []
    for target in targets:
        text = sources.get(target.path)
        if text is None or not target.line:
            continue
        total = len(text.splitlines()) or 1
        line = min(target.line, total)
        focuses = (
            (Focus(target.line, target.column, target.function, target.guessed),) if target.focus else ()
        )
        whys = (target.why,) if target.why else ()
        span = target.span
        if span and (not target.focus or span[1] - span[0] + 1 <= max_function_lines):
            start, end = max(1, span[0]), min(total, span[1])
            windows.append(
                Window(target.path, start, end, focuses, "function" if target.focus else None, whys)
            )
            continue
        found = finder.range_for(target.path, text, line, max_function_lines)
        if found:
            start, end, kind = found
            # a little context above a function shows its signature's surroundings
            start, end = (max(1, start - 2), min(total, end + 1)) if kind == "function" else (start, end)
            windows.append(Window(target.path, start, end, focuses, kind, whys))
        else:
            start, end = max(1, line - context_lines), min(total, line + context_lines)
            windows.append(Window(target.path, start, end, focuses, None, whys))
    order = {t.path: i for i, t in reversed(list(enumerate(targets)))}
    return sorted(_merge(windows), key=lambda w: (order.get(w.path, 0), w.start))
