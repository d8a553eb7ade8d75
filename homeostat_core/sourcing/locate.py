"""From an error's frames to the repository files and lines the fix engine shows.

Each frame that is the extension's own code (in app, or already mapped to source: `webpack://`,
`./components/…`, `.ts` paths) is resolved by path (resolve.py). A frame whose file is not in the
repository — or is build output — is looked up by its function name in the symbol index
(`resolvedBy: symbol`, with a confidence). A frame whose line is no longer inside the function it
names (a trace from an older build) follows the function by name. Vendored files are never the
top frame: the nearest own-code caller is. A path with `..` is refused, never resolved.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from homeostat_core.models import ErrorReport, SourceResolution, StackFrame
from homeostat_core.sourcing.imports import reachable
from homeostat_core.sourcing.names import MessageNames, frame_name, message_names, usable
from homeostat_core.sourcing.resolve import PathMatch, PathResolver, Unresolved
from homeostat_core.sourcing.roots import browser_of
from homeostat_core.sourcing.sources import RepoSources
from homeostat_core.sourcing.symbols import Definition
from homeostat_core.sourcing.vendored import vendored_reason

MAX_LOCATED = 6  # distinct (file, line) frames kept
MAX_TRIED = 12  # paths named in a no_source detail
CALLABLE_KINDS = frozenset({"function", "method", "class"})
_BUNDLER_SCHEMES = ("webpack:", "webpack-internal:", "vite:", "rollup:", "turbopack:", "parcel:")
_SOURCE_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".jsx", ".vue", ".svelte")


@dataclass(frozen=True, slots=True)
class Located:
    served: str  # the frame's path as the trace gives it
    path: str  # the repository file
    line: int  # the line to focus on in that file
    column: int | None
    function: str | None
    rule: str
    root: str | None
    confidence: float
    span: tuple[int, int] | None = None  # the function, when it was found by name
    twins: tuple[str, ...] = ()
    note: str = ""
    vendored: str | None = None
    served_line: int | None = None
    guessed: bool = False  # the line was found by name, not read from the trace

    def as_frame(self) -> StackFrame:
        return StackFrame(self.function, self.path, self.line, self.column, self.path, True, "")

    def describe(self) -> str:
        """`background.js:109 → src/background/tab-groups.ts:41 (found by name …)`, one line."""
        served = f"{self.served}:{self.served_line}" if self.served_line else self.served
        how = describe_rule(self.rule, self.root, self.confidence)
        extra = f"; {self.note}" if self.note else ""
        vendored = f"; vendored: {self.vendored}" if self.vendored else ""
        return f"{served} → {self.path}:{self.line} ({how}{extra}{vendored})"


def describe_rule(rule: str, root: str | None, confidence: float) -> str:
    """How a path was found, in words (for prompts, PR bodies and `homeostat context`)."""
    if rule in ("source_roots", "manifest_root"):
        where = f"{root}/" if root else "the repository root"
        kind = "source_roots" if rule == "source_roots" else "manifest.json"
        return f"extension root {where} ({kind})"
    if rule == "repository_root":
        return "the same path in the repository"
    if rule == "path_map":
        return f"path_map {root}"
    if rule == "suffix":
        return f"the only file with that name and folders (a guess, confidence {confidence:.0%})"
    if rule == "symbol":
        return f"found by its function name (a guess, confidence {confidence:.0%})"
    return rule


@dataclass(frozen=True, slots=True)
class Location:
    frames: tuple[Located, ...]  # own code first (top first), then vendored code
    resolution: SourceResolution  # how the top frame was found (rule "none" when nothing was)
    message: MessageNames


def mapped_to_source(frame: StackFrame) -> bool:
    """A frame the reporter's tooling already mapped to source (a bundler URL, a relative path,
    a TypeScript or JSX file): the extension's own code whatever the location looked like."""
    file = (frame.file or "").strip()
    if not file or not frame.path or "node_modules/" in file:
        return False
    if file.startswith(_BUNDLER_SCHEMES) or file.startswith(("./", "../")):
        return True
    return "://" not in file and frame.path.lower().endswith(_SOURCE_SUFFIXES)


def refused(frame: StackFrame) -> bool:
    """A location that climbs with `..`: never resolved, whatever it would reach."""
    text = (frame.file or "").split("?", 1)[0].split("#", 1)[0].replace("\\", "/")
    return ".." in text.split("/")


def locate(error: ErrorReport, sources: RepoSources, allows: Callable[[str], bool] | None = None) -> Location:
    """Where the error's frames are; `allows` (the path filters) drops files a fix may not edit."""
    return _Locator(error, sources, allows or (lambda path: True)).run()


class _Locator:
    def __init__(self, error: ErrorReport, sources: RepoSources, allows: Callable[[str], bool]):
        self.error = error
        self.sources = sources
        self.allows = allows
        self.message = message_names(error.message)
        self.frames = [f for f in error.frames if f.path and (f.in_app or mapped_to_source(f))]
        browser = next((b for b in map(browser_of, (f.file for f in self.frames)) if b), None)
        self.resolver: PathResolver = sources.resolver(browser)
        self.names = {n.name for n in map(frame_name, (f.function for f in self.frames)) if n}
        self.tried: list[str] = []
        self.problems: list[str] = []
        self.callee: str | None = None  # the function the current frame called (the frame above)
        self.shifts: dict[str, int] = {}  # path → lines the code moved since the reporter's build

    def run(self) -> Location:
        located: list[Located] = []
        seen: set[tuple[str, int]] = set()
        for index, frame in enumerate(self.frames):
            if len(seen) >= MAX_LOCATED:
                break
            above = frame_name(self.frames[index - 1].function) if index else None
            self.callee = above.name if above else None
            found = self._frame(frame)
            if found is not None and (found.path, found.line) not in seen:
                seen.add((found.path, found.line))
                located.append(found)
        own = [f for f in located if not f.vendored]
        ordered = own + [f for f in located if f.vendored]
        return Location(tuple(ordered), self._resolution(ordered, bool(own)), self.message)

    # --- one frame ------------------------------------------------------------------------

    def _frame(self, frame: StackFrame) -> Located | None:
        if refused(frame):
            self.problems.append(f"{frame.file}: refused (a path with '..')")
            return None
        match = self.resolver.resolve(frame.path)
        if isinstance(match, PathMatch):
            if not match.built and not self.allows(match.path):
                self.problems.append(f"{match.path}: outside the path filters")
                return None
            doubt = f"{match.path} is build output" if match.built else self._doubt(frame, match)
            if doubt:
                by_name = self._by_symbol(frame, doubt, entries=(match.path,))
                if by_name is not None and self.allows(by_name.path):
                    return self._checked(by_name, frame)
                generated = match.built and looks_generated(self.sources.read(match.path))
                if match.rule == "suffix" or match.note or generated:
                    # a bundle: its entry file or its own text would be a guess at the wrong lines
                    self.problems.append(f"{frame.path}: {doubt}, and no function name finds its source")
                    return None
            built = self._built_from(frame, match)
            if built:
                # the file a bundle was named after, but the trace's line is the bundle's
                placed = self._by_symbol(frame, built, entries=(match.path,)) or self._by_message(
                    frame, match, built
                )
                if placed is not None and self.allows(placed.path):
                    return self._checked(placed, frame)
                unsure = replace(self._at(frame, match), note=f"{built}: the line is unknown", confidence=0.5)
                return self._checked(unsure, frame)
            return self._checked(self._follow_by_name(self._at(frame, match)), frame)
        self.tried += [p for p in match.tried if p not in self.tried]
        if match.candidates:
            chosen = self._choose_by_name(frame, match)
            if chosen is None and not self._any_defines(match.candidates, frame):
                # a bundle named after several entries (`assets/index.ts-<hash>.js`): its function
                # is in a module they import, found by name like any bundle's
                why = f"{len(match.candidates)} files match {frame.path} and none defines its function"
                chosen = self._by_symbol(frame, why, entries=match.candidates)
            if chosen is not None:
                return self._checked(chosen, frame)
            self.problems.append(f"{frame.path}: ambiguous, {', '.join(match.candidates)} all match")
            return None
        by_name = self._by_symbol(frame, f"{frame.path} is not in the repository")
        if by_name is None:
            self.problems.append(f"{frame.path}: {match.reason}")
        return self._checked(by_name, frame) if by_name else None

    def _doubt(self, frame: StackFrame, match: PathMatch) -> str | None:
        """Why a path match may be the wrong file (then a name decides): the trace's line is past
        its end (a bundle, another build), or a match by name or suffix does not define the
        function the frame names (a bundle entry rather than the module)."""
        text = self.sources.read(match.path)
        if text is None:
            return None
        name = frame_name(frame.function)
        defines = name is not None and any(d.name == name.name for d in self._definitions(match.path))
        if frame.line and frame.line > len(text.splitlines()) and not defines:
            return f"line {frame.line} is past the end of {match.path}"
        if name is None or defines or (match.rule != "suffix" and not match.note):
            return None
        return f"{match.path} does not define {name.label()}"

    def _built_from(self, frame: StackFrame, match: PathMatch) -> str | None:
        """Why a file matched by name (not by its served path) is the source of a bundle rather
        than what ran: the trace's column is past the end of its line (`youtube.<hash>.js:1:2280`
        against a 40-character line 1)."""
        if not (match.rule == "suffix" or match.note) or not frame.line or not frame.column:
            return None
        lines = (self.sources.read(match.path) or "").splitlines()
        if frame.line > len(lines) or frame.column <= len(lines[frame.line - 1]) + 1:
            return None
        return f"column {frame.column} is past the end of line {frame.line} of {match.path} (a bundle's)"

    def _by_message(self, frame: StackFrame, match: PathMatch, why: str) -> Located | None:
        """A bundle's frame with no usable function name: the one line of the file that reads
        the property the message names (`reading 'videoId'` → `details.videoId`)."""
        if not self.message.prop:
            return None
        pattern = focus_patterns(MessageNames(prop=self.message.prop))[0]
        lines = (self.sources.read(match.path) or "").splitlines()
        hits = [number for number, line in enumerate(lines, start=1) if pattern.search(line)]
        if len(hits) != 1:
            return None
        note = f"{why}; the only line of it reading .{self.message.prop}"
        return replace(self._at(frame, match), line=hits[0], column=None, note=note, guessed=True)

    def _at(self, frame: StackFrame, match: PathMatch) -> Located:
        line = frame.line or 1
        if match.path in self.shifts and frame_name(frame.function) is None:
            line += self.shifts[match.path]  # moved like the named frame above it in this file
        return Located(
            frame.path,
            match.path,
            line,
            frame.column,
            frame.function,
            match.rule,
            match.root,
            match.confidence,
            twins=match.twins,
            note=match.note,
        )

    def _checked(self, found: Located, frame: StackFrame) -> Located | None:
        if not self.allows(found.path):
            self.problems.append(f"{found.path}: outside the path filters")
            return None
        text = self.sources.read(found.path)
        total = len(text.splitlines()) if text else 0
        if total and found.line > total:
            found = replace(found, line=total)
        reason = vendored_reason(found.path, self.sources.repo, self.sources.tree.size(found.path), text)
        return replace(found, vendored=reason, served_line=frame.line)

    def _definitions(self, path: str) -> list[Definition]:
        text = self.sources.read(path)
        return self.sources.symbols.in_file(path, text) if text else []

    def _follow_by_name(self, found: Located) -> Located:
        """The trace's line is outside the function it names (an older build): follow the name."""
        name = frame_name(found.function)
        if name is None:
            return found
        named = [
            d
            for d in self._definitions(found.path)
            if d.name == name.name
            and d.kind in CALLABLE_KINDS
            and (not name.owner or d.owner in (name.owner, None))
        ]
        if not named or any(d.start <= found.line <= d.end for d in named):
            return found
        best = min(named, key=lambda d: min(abs(d.start - found.line), abs(d.end - found.line)))
        note = (
            f"line {found.line} of the trace is outside {name.label()} (an older build?): followed the name"
        )
        line = self._focus(found.path, best)
        self.shifts.setdefault(found.path, line - found.line)
        return replace(found, line=line, span=(best.start, best.end), note=note, guessed=True)

    def _choose_by_name(self, frame: StackFrame, match: Unresolved) -> Located | None:
        name = frame_name(frame.function)
        if name is None:
            return None
        defining = [
            (path, d)
            for path in match.candidates
            if self.allows(path)
            for d in self._definitions(path)
            if d.name == name.name and d.kind in CALLABLE_KINDS
        ]
        paths = {path for path, _ in defining}
        if len(paths) != 1:
            return None
        path, _definition = defining[0]
        note = f"{len(match.candidates)} files end in {frame.path}; only {path} defines {name.label()}"
        found = Located(
            frame.path, path, frame.line or 1, frame.column, frame.function, "suffix", None, 0.75, note=note
        )
        return self._follow_by_name(found)

    def _any_defines(self, paths: tuple[str, ...], frame: StackFrame) -> bool:
        name = frame_name(frame.function)
        return name is None or any(
            d.name == name.name and d.kind in CALLABLE_KINDS
            for path in paths
            for d in self._definitions(path)
        )

    def _by_symbol(self, frame: StackFrame, why: str, entries: tuple[str, ...] = ()) -> Located | None:
        """The frame's function by name in the repository's own source. Ties are broken by the
        class it names, the served path's folders, the other frames' functions in the same file,
        and the files the bundle's entries (`entries`) import."""
        name = frame_name(frame.function)
        if name is None:
            return None
        wanted = [n for n in (name.name, name.alias) if n]
        # a bundler renames one of two same-named functions `load2`: the source says `load`
        wanted += [
            n.rstrip("0123456789") for n in wanted if n[-1].isdigit() and usable(n.rstrip("0123456789"))
        ]
        hints = {part.lower() for part in frame.path.split("/")[:-1]}
        hints.add(posixpath.splitext(posixpath.basename(frame.path))[0].lower())
        found = self.sources.symbols.lookup([*wanted, *sorted(self.names)], hints)
        defs = [
            d for n in wanted for d in found.get(n, ()) if d.kind in CALLABLE_KINDS and self.allows(d.path)
        ]
        if any(d.name == name.name for d in defs):
            defs = [d for d in defs if d.name in (name.name, name.alias)]
        if not defs:
            return None
        others = self.names - set(wanted)
        in_bundle = reachable(entries, self.sources) if entries and len({d.path for d in defs}) > 1 else set()

        def score(d: Definition) -> float:
            value = 1.0 if d.path in in_bundle else 0.0
            if name.owner:
                value += 2 if d.owner == name.owner else (-1 if d.owner else 0)
            value += 0.5 * len(set(d.path.lower().split("/")[:-1]) & hints)
            value += 0.5 * sum(1 for o in others if any(x.name == o for x in self._definitions(d.path)))
            return value

        scored = sorted(((score(d), d) for d in defs), key=lambda pair: -pair[0])
        best_score, best = scored[0]
        if len(scored) > 1 and scored[1][0] == best_score and scored[1][1].path != best.path:
            self.problems.append(
                f"{frame.path}: {name.label()} is defined in {best.path} and {scored[1][1].path} alike"
            )
            return None
        confidence = (0.8 if len(defs) == 1 else 0.6) + (
            0.1 if name.owner and best.owner == name.owner else 0
        )
        note = f"{why}; {best.path} defines {name.label()}"
        if best.path in in_bundle:
            note += f", and the bundle's entry {entries[0]} imports it"
        return Located(
            frame.path,
            best.path,
            self._focus(best.path, best),
            None,
            frame.function,
            "symbol",
            None,
            round(min(confidence, 0.9), 2),
            span=(best.start, best.end),
            note=note,
            guessed=True,
        )

    def _focus(self, path: str, definition: Definition) -> int:
        """The line inside a function the error is at: for the top frame what the message names
        (the property read, the callee…), for a caller the call of the frame above it."""
        text = self.sources.read(path) or ""
        lines = text.splitlines()[definition.start - 1 : definition.end]
        if self.callee:
            patterns = [re.compile(rf"(?<![\w$]){re.escape(self.callee)}\s*\(")]
        else:
            patterns = focus_patterns(self.message)
        for pattern in patterns:
            for offset, line in enumerate(lines):
                if pattern.search(line):
                    return definition.start + offset
        return definition.start

    # --- the record ---------------------------------------------------------------------------

    def _resolution(self, located: list[Located], has_own: bool) -> SourceResolution:
        if not located:
            served = self.frames[0].path if self.frames else ""
            return SourceResolution(
                served=served or "",
                path=None,
                rule="none",
                confidence=0.0,
                note="; ".join(self.problems)
                or ("no frame of the extension's own code" if not self.frames else ""),
                tried=tuple(self.tried[:MAX_TRIED]),
                roots=tuple(self.resolver.root_labels()),
            )
        top = located[0]
        notes = [top.note] if top.note else []
        notes += [f"skipped {problem}" for problem in self.problems[:3]]
        skipped = [f for f in located if f.vendored]
        if has_own and skipped:
            notes.append(
                f"{skipped[0].path} is vendored ({skipped[0].vendored}): its caller is the top frame"
            )
        elif not has_own:
            notes.append(f"only vendored code in the trace ({top.vendored})")
        return SourceResolution(
            served=top.served,
            path=top.path,
            rule=top.rule,
            root=top.root,
            confidence=top.confidence,
            twins=top.twins,
            note="; ".join(notes),
        )


_BUNDLER_MARKS = re.compile(
    r"__webpack_require__|/\*{6}/|^// (?:src|node_modules)/|System\.register\(|__esm\(", re.M
)


def looks_generated(text: str | None) -> bool:
    """A bundler's output rather than a person's file: minified, or bundler scaffolding."""
    if not text:
        return False
    head = text[:4000]
    return len(head) / (head.count("\n") + 1) > 250 or bool(_BUNDLER_MARKS.search(head))


def focus_patterns(message: MessageNames) -> list[re.Pattern[str]]:
    patterns = []
    if message.prop:
        prop = re.escape(message.prop)
        patterns.append(re.compile(rf"[\w$\])]\??\.{prop}\b|\[['\"]{prop}['\"]\]"))
    callee = message.callee.rsplit(".", 1)[-1] if message.callee else None
    if usable(callee):
        patterns.append(re.compile(rf"\b{re.escape(callee)}\s*\("))
    for name in (message.undefined, message.base.rsplit(".", 1)[-1] if message.base else None):
        if name:
            patterns.append(re.compile(rf"(?<![\w$]){re.escape(name)}(?![\w$])"))
    return patterns


def no_source_detail(resolution: SourceResolution | None) -> str:
    """Why no file was found, for the run record and the issue comment."""
    text = "no frame of the extension's own code resolved to a readable file inside the path filters"
    if resolution is None:
        return text
    if resolution.tried:
        text += "; tried " + ", ".join(resolution.tried)
    if resolution.roots:
        text += "; extension roots searched: " + ", ".join(resolution.roots)
    if resolution.note:
        text += f"; {resolution.note}"
    return text + " (`homeostat context ISSUE --checkout DIR` shows each step)"
