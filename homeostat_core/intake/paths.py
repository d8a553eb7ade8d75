"""Turn a stack-frame location (URL or filesystem path) into a repository-relative path guess,
and decide whether a frame is the application's own code ("in app").

Both are pure functions of the location string and are cached: a stream of reports repeats the
same few script URLs over and over.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Locations that are not files at all.
_NOT_FILES = frozenset(
    {
        "",
        "native",
        "native code",
        "[native code]",
        "<anonymous>",
        "anonymous",
        "eval",
        "eval code",
        "unknown",
        "<unknown>",
        "<string>",
        "[internal function]",
        "{main}",
    }
)
# Locations that are engine or runtime internals (never the app's code).
_INTERNAL_LOCATIONS = frozenset(
    {"native", "native code", "[native code]", "<anonymous>", "anonymous", "[internal function]", "<unknown>"}
)

# Schemes whose "host" part is an extension id / origin, not a directory of the repo.
EXTENSION_SCHEMES = (
    "chrome-extension",
    "moz-extension",
    "safari-web-extension",
    "safari-extension",
    "ms-browser-extension",
)

_EXTENSION_PREFIXES = tuple(f"{scheme}://" for scheme in EXTENSION_SCHEMES)

# Firefox appends how eval'd code was created: "file.js line 26 > eval line 2 > eval".
_FIREFOX_EVAL_SUFFIX = re.compile(r" line \d+ > (?:eval|Function|injectedScript|setTimeout).*$")
# A content hash a bundler put in a file name: main.3f2a1b9c.js, main.3f2a1b9c.chunk.js,
# chunk-5f3a2b1c.js, esbuild's chunk-ABCDEF12.js, Vite's index-BbzLzrt2.js (judged by _is_hash).
_HASH_IN_NAME = re.compile(
    r"[.-]([0-9a-f]{6,32}|[A-Za-z0-9_]{8})"
    r"(?=(?:\.(?:chunk|bundle|min|module|esm|prod|production))*\.(?:m?js|cjs|jsx|tsx?|css|map)$)"
)
_HEX_HASH = re.compile(r"[0-9a-f]{6,32}")
_WORDS = re.compile(r"[A-Za-z][a-z]*(?:[A-Z][a-z]+)*")  # camelCase and CamelCase words, "index"
# A directory that only names a version: 1.2.0_0 (Chrome's unpacked extension dir), v2.3.1.
_VERSION_SEGMENT = re.compile(r"^v?\d+(?:\.\d+){1,3}(?:[_-][0-9A-Za-z]+)?$")
# A directory that only names a build: Safari's per-build "4a5b6c7d/" (8 hex, at least one digit).
_BUILD_HASH_SEGMENT = re.compile(r"^(?=[a-fA-F]*\d)[0-9a-fA-F]{8}$")
# Browser internals that look like locations: Chrome's extension bindings ("extensions::messaging"),
# Firefox's own code (resource://gre/…, resource:///…, chrome://…), other browsers' pages.
_INTERNAL_PREFIXES = ("extensions::", "chrome://", "chrome-untrusted://", "devtools://", "edge://", "jar:")
_FIREFOX_RESOURCE = re.compile(
    r"^resource://(?:gre|gre-resources|app|devtools|activity-stream|normandy[\w-]*|pdf\.js|"
    r"formautofill|autofill|services-[\w-]+)?/"
)
# Chrome's extension bindings before the "extensions::" prefix (2014): module names without a
# directory or extension ("event_bindings", "miscellaneous_bindings", "lastError"), "binding.js".
_BARE_MODULE = re.compile(r"^[A-Za-z_$][\w$]*$")
_BINDINGS_FILE = re.compile(r"^(?:\w+_)?bindings?\.js$")
# DevTools' name for a script without a URL (eval'd or injected code): no file, like "eval code".
_VM_SCRIPT = re.compile(r"^VM\d+$")
# DevTools and trackers shorten long URLs with an ellipsis: "…/api/chrome.ts", ".../x.js".
_ELLIPSES = ("\u2026", "...")
_WINDOWS_DRIVE = re.compile(r"^/?[A-Za-z]:/")
_WP_CONTENT = re.compile(r"/wp-content/(?:plugins|themes|mu-plugins)/[^/]+/")
_CHROME_PROFILE_EXT = re.compile(r"/Extensions/[a-p]{32}/[^/]+/")

# Directories that usually sit at a repository root; an absolute path is cut at the first one.
_ROOT_MARKERS = frozenset(
    {
        "src",
        "lib",
        "includes",
        "background",
        "content",
        "popup",
        "options",
        "shared",
        "api",
        "server",
        "cron",
        "jobs",
        "scripts",
        "public",
    }
)

# Path fragments of vendored, installed or platform code.
_NOT_APP_PARTS = (
    "/node_modules/",
    "/bower_components/",
    "/vendor/",
    "/vendors/",
    "/third_party/",
    "/third-party/",
    "/wp-includes/",
    "/wp-admin/",
    "/site-packages/",
    "/dist-packages/",
    "/lib/python",
)
# Well-known library bundles by file name.
_LIBRARY_NAME = re.compile(
    r"(?:^|/)(?:jquery|react-dom|react|vue(?:\.runtime)?|angular|lodash|underscore|zone|core-js|"
    r"polyfills?|browser-polyfill|webextension-polyfill|vendors?|chunk-vendors|runtime~?|"
    r"sentry|bugsnag|raven|stacktrace|tracekit|error-stack-parser)(?:[.~-][^/]*)?\.js$"
)
# Node's own modules as old Node printed them (bare names) and as new Node prints them.
_NODE_CORE = frozenset(
    {
        "module.js",
        "events.js",
        "timers.js",
        "node.js",
        "bootstrap_node.js",
        "_stream_readable.js",
        "_stream_writable.js",
    }
)


@lru_cache(maxsize=4096)
def normalize_path(location: str | None) -> str | None:
    """Repository-relative path guess for a frame location, or None when it names no file.

    Drops the scheme, extension id or origin, query and fragment, webpack prefixes, Firefox's
    eval suffix, bundler content hashes and version-only directories. An absolute filesystem
    path is cut at a WordPress plugin/theme directory or at a usual root directory (`src/`,
    `includes/`, ...), else reduced to its file name (the repository root is unknown).
    """
    if location is None:
        return None
    text = location.strip()
    if text.startswith("address at "):
        text = text[11:]  # Hermes' bytecode address: the bundle is the file
    if (
        text.lower() in _NOT_FILES
        or text.startswith(("blob:", "data:", "<frozen ", "node:", "extensions::"))
        or _BARE_MODULE.match(text)
        or _BINDINGS_FILE.match(text)
    ):
        return None
    if " > " in text:
        text = _FIREFOX_EVAL_SUFFIX.sub("", text)
    absolute_fs = False
    scheme_end = text.find("://")
    if scheme_end > 0 and text[:scheme_end].replace("-", "").replace("+", "").replace(".", "").isalnum():
        scheme = text[:scheme_end].lower()
        rest = text[scheme_end + 3 :]
        text = _cut_query(rest)
        if scheme == "file":
            absolute_fs = True  # file:///G:/js/x.js or file:///path/to/x.js
        else:
            slash = text.find("/")
            text = "" if slash < 0 else text[slash:]  # drop host: origin, extension id, bundle name
            if scheme.startswith("webpack"):
                text = text.lstrip("/")
                if text.startswith("./"):
                    text = text[2:]
                if text.startswith("~/"):
                    text = "node_modules/" + text[2:]
    else:
        text = _cut_query(text).replace("\\", "/")
        absolute_fs = text.startswith("/") or bool(_WINDOWS_DRIVE.match(text))
    if absolute_fs:
        text = _relative_from_absolute(text)
    if "\u2026" in text or "..." in text:
        text = _after_ellipsis(text)
    return _clean_segments(text)


def _after_ellipsis(path: str) -> str:
    """What follows the last ellipsis, without the cut-off segment it may end in."""
    for mark in _ELLIPSES:
        cut = path.rfind(mark)
        if cut >= 0:
            path = path[cut + len(mark) :]
            if not path.startswith("/") and "/" in path:
                path = path.partition("/")[2]
    return path


def _cut_query(text: str) -> str:
    for sep in ("?", "#"):
        cut = text.find(sep)
        if cut >= 0:
            text = text[:cut]
    return text


def _relative_from_absolute(path: str) -> str:
    if _WINDOWS_DRIVE.match(path):
        path = "/" + path.lstrip("/")[3:]
    match = _WP_CONTENT.search(path) or _CHROME_PROFILE_EXT.search(path)
    if match:
        return path[match.end() :]
    modules = path.find("/node_modules/")
    if modules >= 0:
        return path[modules + 1 :]
    segments = path.strip("/").split("/")
    for i, segment in enumerate(segments[:-1]):
        if segment in _ROOT_MARKERS:
            return "/".join(segments[i:])
    return segments[-1]


def _clean_segments(path: str) -> str | None:
    parts: list[str] = []
    segments = path.split("/")
    last = len(segments) - 1
    for i, segment in enumerate(segments):
        if segment in ("", "."):
            continue
        if segment == "..":
            if parts:
                parts.pop()
            continue
        if _VERSION_SEGMENT.match(segment) or (i < last and _BUILD_HASH_SEGMENT.match(segment)):
            continue
        parts.append(segment)
    if not parts:
        return None
    name = parts[-1]
    if "." in name:
        parts[-1] = _HASH_IN_NAME.sub(lambda m: "" if _is_hash(m.group(1)) else m.group(0), name)
    return "/".join(parts)


def _is_hash(token: str) -> bool:
    """A bundler's content hash, not a word: lower-case hex with a digit (`3f2a1b9c`), or 8
    characters mixing cases or upper case and digits (`BbzLzrt2`, `ABCDEF12`) — not `settings`,
    `MyWidget` or `script12`."""
    if _HEX_HASH.fullmatch(token):
        return not token.isalpha()
    if len(token) != 8 or token.islower() or token.isalpha() and _WORDS.fullmatch(token):
        return False
    return not token.isupper() or any(c.isdigit() for c in token)


def has_build_hash(location: str | None) -> bool:
    """True when the location's file name carries a bundler's content hash (a build's output)."""
    return bool(location) and _name_has_hash(_cut_query(location).rpartition("/")[2])  # type: ignore[union-attr]


@lru_cache(maxsize=4096)  # by file name: the same bundle under every install's origin is one entry
def _name_has_hash(name: str) -> bool:
    return "." in name and any(_is_hash(m.group(1)) for m in _HASH_IN_NAME.finditer(name))


@lru_cache(maxsize=4096)
def location_is_in_app(location: str | None, path: str | None) -> bool:
    """False for engine internals, Node core, installed packages and well-known libraries."""
    if location is None:
        return True  # a bare function name (Safari eval frames): app code with no location
    text = location.strip().lower()
    if text in _INTERNAL_LOCATIONS or text.startswith(
        ("node:", "internal/", "<frozen ", *_INTERNAL_PREFIXES)
    ):
        return False
    if text in _NODE_CORE or _FIREFOX_RESOURCE.match(text):
        return False
    if path is None:
        # a bare function name (Safari eval frames), eval code, a DevTools VM script: app code
        # with no location; a bare module name is Chrome's own binding code
        stripped = location.strip()
        return not (_BARE_MODULE.match(stripped) or _BINDINGS_FILE.match(stripped)) or bool(
            _VM_SCRIPT.match(stripped)
        )
    lowered = path.lower()
    if lowered.startswith("internal/"):
        return False
    rooted = "/" + lowered
    where = text.replace("\\", "/")  # the path may have lost the telling directory
    if any(part in rooted or part in where for part in _NOT_APP_PARTS):
        return False
    if _LIBRARY_NAME.search(lowered):
        return False
    # A `.min.js` is a library, except the extension's own bundle under its own origin.
    return not lowered.endswith(".min.js") or text.startswith(_EXTENSION_PREFIXES)


def is_extension_url(location: str | None) -> bool:
    """True for chrome-extension://, moz-extension://, safari-web-extension:// ... locations."""
    return bool(location) and location.startswith(_EXTENSION_PREFIXES)  # type: ignore[union-attr]


def location_facts(location: str | None) -> tuple[str | None, bool]:
    """(normalize_path(location), location_is_in_app(...)) in one cached lookup.

    The cache key drops the URL host, so per-install extension UUIDs (Firefox, Safari) and
    origins share one entry: the host never changes the result (except resource://, where it
    tells Firefox's own code from an add-on's).
    """
    if location is None:
        return None, True
    facts = RECENT_FACTS.get(location)
    if facts is not None:
        return facts
    if len(RECENT_FACTS) >= RECENT_FACTS_MAX:
        RECENT_FACTS.clear()
    key = location
    scheme_end = location.find("://")
    if scheme_end > 0 and not location.startswith(("file:", "resource:")):
        slash = location.find("/", scheme_end + 3)
        key = location[: scheme_end + 3] + "_" + (location[slash:] if slash >= 0 else "")
    facts = RECENT_FACTS[location] = _location_facts(key)
    return facts


# Exact-location memo in front of the host-less lru cache (a plain dict lookup is the cheapest).
RECENT_FACTS: dict[str, tuple[str | None, bool]] = {}
RECENT_FACTS_MAX = 16384


@lru_cache(maxsize=8192)
def _location_facts(location: str) -> tuple[str | None, bool]:
    path = normalize_path(location)
    return path, location_is_in_app(location, path)
