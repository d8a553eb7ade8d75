"""What a fix needs to see beyond the failing function, from the error message and the top frame.

- `X is not defined` (and `Can't find variable: X`, use before initialization): where X is
  defined in the repository, and how the top file gets its scripts (`importScripts`, imports,
  the manifest's script lists, the `<script>` tags of the pages that load it);
- `a.b is not a function`: where `b` is defined, and the top file's imports;
- `Cannot read properties of undefined (reading 'x')` and its Firefox/Safari forms: where the
  expression that was undefined is declared (a module-level `let settings;`) or assigned
  (`this.store = …`);
- per-browser twins of the top file: the same function in each copy.

Each is a short span (a definition's first lines, the loader lines), at most MAX_SPANS of them.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from homeostat_core.sourcing.locate import CALLABLE_KINDS, Located, Location
from homeostat_core.sourcing.names import frame_name, last_name, root_name, usable
from homeostat_core.sourcing.sources import RepoSources
from homeostat_core.sourcing.symbols import Definition

MAX_SPANS = 5
MAX_SPAN_LINES = 25
MAX_PAGES = 3  # HTML pages read to find the <script> tags that load the top file
_LOADER = re.compile(r"\bimportScripts\s*\(|^\s*import\b|\brequire\s*\(|^\s*export\s+\*\s+from\b")
_STRING = re.compile(r"""(["'`])(?:\\.|(?!\1)[^\\])*\1""")  # one way to match each character
_DEFINING_KINDS = frozenset({"function", "class", "variable", "global", "type"})


@dataclass(frozen=True, slots=True)
class Span:
    path: str
    start: int  # 1-based, inclusive
    end: int
    why: str
    essential: bool = False  # kept while the prompt shrinks, like the top frame itself


def needed_spans(location: Location, sources: RepoSources) -> list[Span]:
    if not location.frames:
        return []
    top = location.frames[0]
    spans = _twins(top, sources)
    message = location.message
    if message.undefined:
        spans += _definitions(message.undefined, top, sources, _DEFINING_KINDS, top_level=True)
        spans += _loaders(top, sources)
    elif message.callee:
        callee = last_name(message.callee)
        if usable(callee):
            spans += _definitions(callee, top, sources, CALLABLE_KINDS, top_level=False)
        spans += _loaders(top, sources, pages=False)
    else:
        base = message.base or _base_on_line(sources.read(top.path), top.line, message.prop)
        if base:
            spans += _declaration_of(base, top, sources)
    return spans[:MAX_SPANS]


def _lines(text: str | None) -> list[str]:
    return text.splitlines() if text else []


def _cap(path: str, start: int, end: int, why: str, essential: bool = False) -> Span:
    return Span(path, start, min(end, start + MAX_SPAN_LINES - 1), why, essential)


def _twins(top: Located, sources: RepoSources) -> list[Span]:
    spans = []
    name = frame_name(top.function)
    for twin in top.twins:
        text = sources.read(twin)
        if not text:
            continue
        same = [
            d
            for d in (sources.symbols.in_file(twin, text) if name else [])
            if d.name == name.name and d.kind in CALLABLE_KINDS
        ]
        why = f"per-browser copy of {top.path}: fix it the same way"
        if same:
            spans.append(Span(twin, same[0].start, same[0].end, why, essential=True))
        else:
            total = len(text.splitlines())
            line = min(top.line, total)
            spans.append(Span(twin, max(1, line - 10), min(total, line + 10), why, essential=True))
    return spans


def _definitions(
    name: str, top: Located, sources: RepoSources, kinds: frozenset[str], *, top_level: bool
) -> list[Span]:
    found = sources.symbols.lookup([name], {posixpath.dirname(top.path).split("/")[-1]}).get(name, [])
    chosen: list[Definition] = [
        d for d in found if d.kind in kinds and (d.top_level or not top_level or d.kind == "global")
    ]
    # the top file's own definition first, then the nearest files
    chosen.sort(key=lambda d: (d.path != top.path, _distance(d.path, top.path), d.path, d.start))
    return [_cap(d.path, d.start, d.end, f"where {name} is defined") for d in chosen[:2]]


def _distance(a: str, b: str) -> int:
    pa, pb = a.split("/")[:-1], b.split("/")[:-1]
    common = 0
    for x, y in zip(pa, pb, strict=False):
        if x != y:
            break
        common += 1
    return len(pa) + len(pb) - 2 * common


def _loaders(top: Located, sources: RepoSources, *, pages: bool = True) -> list[Span]:
    """How the top file gets other scripts: its own import lines, the manifest, the pages."""
    spans = []
    lines = _lines(sources.read(top.path))
    hits = [i + 1 for i, line in enumerate(lines) if _LOADER.search(line)]
    if hits:
        end = _statement_end(lines, hits[-1])  # `importScripts(` and its arguments on the next lines
        spans.append(_cap(top.path, hits[0], end, f"how {posixpath.basename(top.path)} loads other scripts"))
    if not pages:
        return spans
    name = posixpath.basename(top.served)
    manifest = _manifest_for(top, sources)
    if manifest:
        mentions = [i + 1 for i, line in enumerate(_lines(sources.read(manifest))) if name in line]
        if mentions:
            spans.append(_cap(manifest, max(1, mentions[0] - 2), mentions[-1] + 2, "the manifest's scripts"))
    folder = posixpath.dirname(top.path)
    read = 0
    for page in sorted(p for p in sources.tree.files if p.endswith((".html", ".htm"))):
        if posixpath.dirname(page) not in (folder, posixpath.dirname(folder)) or read >= MAX_PAGES:
            continue
        read += 1
        page_lines = _lines(sources.read(page))
        scripts = [i + 1 for i, line in enumerate(page_lines) if "<script" in line]
        if scripts and any(name in page_lines[i - 1] for i in scripts):
            spans.append(_cap(page, scripts[0], scripts[-1], f"the scripts {page} loads, in order"))
    return spans


def _statement_end(lines: list[str], start: int) -> int:
    """The last line of the statement opening on line `start` (1-based): where its brackets close."""
    depth = 0
    for number in range(start, min(len(lines), start + MAX_SPAN_LINES - 1) + 1):
        text = _STRING.sub("", lines[number - 1])  # brackets in strings
        depth += sum(text.count(c) for c in "({[") - sum(text.count(c) for c in ")}]")
        if depth <= 0:
            return number
    return start


def _manifest_for(top: Located, sources: RepoSources) -> str | None:
    folder = top.root if top.root is not None and top.rule in ("source_roots", "manifest_root") else None
    candidates = [folder] if folder is not None else []
    path = posixpath.dirname(top.path)
    while True:
        candidates.append(path)
        if not path:
            break
        path = posixpath.dirname(path)
    for folder in candidates:
        manifest = posixpath.join(folder, "manifest.json") if folder else "manifest.json"
        if sources.tree.has_file(manifest):
            return manifest
    return None


def _base_on_line(text: str | None, line: int, prop: str | None) -> str | None:
    """`settings.color` on the failing line, reading 'color' → `settings`."""
    lines = _lines(text)
    if not prop or not 1 <= line <= len(lines):
        return None
    escaped = re.escape(prop)
    match = re.search(
        rf"((?:this\.)?[\w$]+(?:\??\.[\w$]+)*)\s*(?:\??\.{escaped}\b|\[['\"]{escaped}['\"]\])",
        lines[line - 1],
    )
    return match.group(1).replace("?.", ".") if match else None


def _declaration_of(base: str, top: Located, sources: RepoSources) -> list[Span]:
    text = sources.read(top.path)
    if not text:
        return []
    lines = text.splitlines()
    if base.startswith("this."):
        member = base.split(".")[1]
        assigned = re.compile(rf"\bthis\.{re.escape(member)}\s*=[^=]")
        hits = [i + 1 for i, line in enumerate(lines) if assigned.search(line)]
        if hits:
            return [_cap(top.path, hits[0], hits[0], f"where this.{member} is set")]
        # never assigned with `this.`: a class field (`groups = null;`) or a key of the object the
        # instance is built from (a Vue component's `data() { return { groups: null } }`)
        name = re.escape(member)
        initialized = re.compile(
            rf"^\s*(?:(?:private|public|protected|readonly|static|declare)\s+)*{name}\s*[?!]?\s*[:=][^=]"
            rf"|[{{,]\s*{name}\s*:"
        )
        hits = [i + 1 for i, line in enumerate(lines) if initialized.search(line) and i + 1 != top.line]
        return [_cap(top.path, hits[0], hits[0], f"where this.{member} is initialized")] if hits else []
    root = root_name(base)
    if not root:
        return []
    own = [d for d in sources.symbols.in_file(top.path, text) if d.name == root and d.kind in _DEFINING_KINDS]
    outside = [d for d in own if not (top.span and top.span[0] <= d.start <= top.span[1])]
    if outside:
        d = min(outside, key=lambda d: abs(d.start - top.line))
        spans = [_cap(top.path, d.start, d.end, f"where {root} is declared")]
        assignments = re.compile(rf"(?<![\w$.]){re.escape(root)}\s*=[^=]")
        later = [i + 1 for i, line in enumerate(lines) if assignments.search(line) and i + 1 != d.start]
        if later:
            spans.append(_cap(top.path, later[0], later[0], f"where {root} is assigned"))
        return spans
    if own:
        return []
    return _definitions(root, top, sources, _DEFINING_KINDS, top_level=True)
