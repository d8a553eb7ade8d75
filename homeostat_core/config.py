"""`.homeostat/repos.yml`: schema version 1, validation and typed, immutable config objects.

Validation collects every problem before failing, each naming the file, the key path and the
reason, so one `homeostat config check` shows all that is wrong at once.

A repository entry is read through `REPO_KEYS`: one row per key with its reader (the type check
and conversion) and a one-line meaning; the key's default is the `RepoConfig` field's default.
To add a repos.yml key:
1. add the field to `RepoConfig`, with its default unless the key is required;
2. add one `RepoKey(name, reader, doc)` row to `REPO_KEYS` (a reader below, or a new one that
   names the key path in every problem it adds);
3. give it a row in docs/MULTI-REPO-GUIDE.md ("Every key") for the people who write repos.yml.
Nothing else changes in the code: unknown-key and missing-key errors, `RepoConfig.to_json` and the
queue message round trip follow the table. tests/unit/config checks that table and fields agree;
the docs test checks the guide's rows and defaults against the table.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field, fields
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

# libyaml's safe loader when PyYAML was built with it (3x faster: 10,000 repositories parse in
# under 2 s instead of over 5), else the pure-Python one; both refuse the same unsafe tags.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SUPPORTED_VERSION = 1
SLUG_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")

DEFAULT_SENSITIVE_PATHS: tuple[str, ...] = (
    "**/auth/**",
    "**/*auth*",
    "**/*login*",
    "**/*password*",
    "**/payment*/**",
    "**/*payment*",
    "**/*billing*",
    "**/*stripe*",
    "**/crypto/**",
    "**/*crypto*",
    "**/*token*",
    "**/*secret*",
    "**/*credential*",
    "**/*keychain*",
    "**/*keystore*",
    "**/*.pem",
    "**/*.key",
)
# What a fix may edit unless repos.yml says otherwise: JavaScript/TypeScript sources and CSS, plus
# the two JSON files whose guards (permissions, scripts, dependencies) validation enforces.
# An entry starting with "." is an extension; one without "/" matches the file name; one with "/"
# matches the whole path (globs as in sensitive_paths).
DEFAULT_FIX_FILE_TYPES: tuple[str, ...] = (
    ".js",
    ".mjs",
    ".cjs",
    ".jsx",
    ".ts",
    ".tsx",
    ".mts",
    ".cts",
    ".css",
    "manifest.json",
    "package.json",
)
# Never edited, whatever fix_file_types says: markup that loads scripts, shell, env and lock files.
NEVER_FIX_FILE_GLOBS: tuple[str, ...] = (
    "*.html",
    "*.htm",
    "*.xhtml",
    "*.shtml",
    "*.svg",
    "*.sh",
    "*.bash",
    "*.zsh",
    "*.fish",
    "*.ps1",
    "*.bat",
    "*.cmd",
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    "*.lock",
    "*-lock.json",
    "*-lock.yaml",
    "npm-shrinkwrap.json",
    "bun.lockb",
)


class ConfigError(Exception):
    """A config that cannot be used; `problems` lists every `file: key: reason`."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True, slots=True)
class PathFilters:
    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()

    def allows(self, path: str) -> bool:
        """A path is allowed when it is under some include prefix and under no exclude prefix.

        Paths are normalized first; absolute paths and any `..` escape are never allowed.
        """
        normalized = normalize_repo_path(path)
        if normalized is None:
            return False
        return any(_under(normalized, p) for p in self.include) and not any(
            _under(normalized, p) for p in self.exclude
        )


def normalize_repo_path(path: str) -> str | None:
    """Repository-relative POSIX path, or None when it escapes the repository."""
    if not path or "\x00" in path or "\\" in path:
        return None
    if path.startswith("/"):
        return None
    normalized = posixpath.normpath(path)
    if normalized in (".", "..") or normalized.startswith("../"):
        return None
    return normalized


def _under(path: str, prefix: str) -> bool:
    # "./src", "src/../lib/" and "src/" name the directories "src" and "lib"
    prefix = posixpath.normpath(prefix.strip("/") or ".")
    if prefix == ".":
        return True
    return path == prefix or path.startswith(prefix + "/")


def _valid_prefix(prefix: str) -> bool:
    """A relative directory prefix; "." / "./" (the whole repository) included."""
    if prefix.startswith("/"):
        return False
    stripped = prefix.rstrip("/")
    return stripped in ("", ".") or normalize_repo_path(stripped) is not None


def never_fix_file_type(path: str) -> bool:
    """True for file types Homeostat never edits (HTML, shell, env and lock files)."""
    name = posixpath.basename(path).lower()
    return any(fnmatchcase(name, glob) for glob in NEVER_FIX_FILE_GLOBS)


def matches_file_type(path: str, file_types: tuple[str, ...]) -> bool:
    """`path` matches one fix_file_types entry (an extension, a file-name glob or a path glob)."""
    name = posixpath.basename(path).lower()
    for entry in file_types:
        e = entry.lower()
        if e.startswith(".") and "/" not in e and "*" not in e and e.count(".") == 1:
            if name.endswith(e) and name != e:
                return True
        elif "/" in e:
            if matches_any_glob(path, (e,)):
                return True
        elif fnmatchcase(name, e):
            return True
    return False


def matches_any_glob(path: str, globs: tuple[str, ...]) -> bool:
    """Glob match where `**/` also matches the top level (`**/auth/**` matches `auth/x.js`)."""
    lowered = path.lower()
    for glob in globs:
        g = glob.lower()
        if fnmatchcase(lowered, g) or (g.startswith("**/") and fnmatchcase(lowered, g[3:])):
            return True
    return False


@dataclass(frozen=True, slots=True)
class RepoConfig:
    """One repository's settings. A field with a default is an optional repos.yml key; this
    default is the only one (REPO_KEYS reads it from here)."""

    slug: str
    branch: str
    max_prs_per_run: int
    labels: tuple[str, ...]
    path_filters: PathFilters
    trigger_label: str = "robot"
    allowed_authors: tuple[str, ...] = ()
    opt_out_label: str = "do-not-fix"
    daily_budget_usd: float = 1.0
    sensitive_paths: tuple[str, ...] = DEFAULT_SENSITIVE_PATHS
    max_files_changed: int = 3
    max_lines_changed: int = 80
    # PR lifecycle limits (docs/LIFECYCLE.md)
    max_open_prs: int = 5
    max_prs_per_day: int = 10
    max_issue_comments_per_run: int = 20
    reviewers: tuple[str, ...] = ()
    ready_after_hours: float = 2.0
    share_patterns: str = "owner"
    # Production outcomes (docs/LIFECYCLE.md)
    version_file: str = "manifest.json"
    close_fixed_pending_release: bool = True
    verify_after_days: int = 14
    fix_file_types: tuple[str, ...] = DEFAULT_FIX_FILE_TYPES
    installation_id: int | None = None
    # Where a trace's paths are in the repository (docs/FIX-ENGINE.md, "Finding the code"):
    # (browser, folder) pairs served as the extension's root ("all": any browser; "" = the
    # repository root), (served prefix, source prefix) pairs for files a build copies (longest
    # served prefix first), and paths of vendored code that is never the top frame.
    source_roots: tuple[tuple[str, str], ...] = ()
    path_map: tuple[tuple[str, str], ...] = ()
    vendor_paths: tuple[str, ...] = ()
    # The CI verdict (docs/FORGES.md)
    ci_ignore: tuple[str, ...] = ()
    ci_start_grace_minutes: float = 15.0
    # Event-driven runs (docs/WAKES.md)
    wake_debounce_seconds: int = 120
    min_minutes_between_runs: int = 10

    @property
    def owner(self) -> str:
        return self.slug.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.slug.split("/", 1)[1]

    def is_sensitive(self, path: str) -> bool:
        return matches_any_glob(path, self.sensitive_paths)

    def allows_file_type(self, path: str) -> bool:
        return not never_fix_file_type(path) and matches_file_type(path, self.fix_file_types)

    def to_json(self) -> dict[str, Any]:
        """The repos.yml mapping of this repository (every key spelled out), as JSON values."""
        values = asdict(self)
        return {spec.name: spec.to_json(values[spec.name]) for spec in REPO_KEYS}


def _as_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_as_json(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class HomeostatConfig:
    version: int
    repositories: tuple[RepoConfig, ...] = field(default_factory=tuple)

    def repo(self, slug: str) -> RepoConfig:
        for repo in self.repositories:
            if repo.slug == slug:
                return repo
        raise KeyError(slug)


class _Problems:
    def __init__(self, source: str):
        self.source = source
        self.items: list[str] = []

    def add(self, key: str, reason: str) -> None:
        self.items.append(f"{self.source}: {key}: {reason}")


def _unknown_keys(mapping: dict, known: set[str]) -> list[str]:
    """Unknown keys as printable names: YAML keys may be numbers, blank or of mixed types."""
    unknown = [k for k in mapping if k not in known]
    return sorted((k if isinstance(k, str) and k.strip() else repr(k)) for k in unknown)


def _finite(number: int | float) -> bool:
    try:
        return math.isfinite(number)
    except OverflowError:  # an integer beyond float range
        return False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- Readers: (value, key path, problems) -> the typed value; each problem names the key path.
# The repository is refused when a reader added a problem, so a reader's return value then
# does not matter.
Reader = Callable[[Any, str, _Problems], Any]


def _str_list(
    value: Any, key: str, problems: _Problems, *, allow_empty: bool = True
) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        problems.add(key, f"must be a list of strings, got {type(value).__name__}")
        return None
    bad = [i for i, item in enumerate(value) if not isinstance(item, str) or not item.strip()]
    for i in bad:
        problems.add(f"{key}[{i}]", "must be a non-empty string")
    if not value and not allow_empty:
        problems.add(key, "must not be empty")
    return None if bad else tuple(value)


def _strings(*, allow_empty: bool = True) -> Reader:
    return lambda value, key, problems: _str_list(value, key, problems, allow_empty=allow_empty)


def _text(value: Any, key: str, problems: _Problems) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.add(key, "must be a non-empty string")
        return None
    return value


def _slug(value: Any, key: str, problems: _Problems) -> str | None:
    if not isinstance(value, str) or not SLUG_RE.match(value):
        problems.add(key, f"must be 'owner/name', got {value!r}")
        return None
    return value


def _positive_int(value: Any, key: str, problems: _Problems) -> int | None:
    if not _is_int(value):
        problems.add(key, f"must be an integer, got {type(value).__name__}")
        return None
    if value <= 0:
        problems.add(key, f"must be greater than 0, got {value}")
        return None
    return value


def _number(*, zero_allowed: bool) -> Reader:
    def read(value: Any, key: str, problems: _Problems) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.add(key, f"must be a number, got {type(value).__name__}")
        elif not _finite(value):
            problems.add(key, f"must be a finite number, got {str(value)[:40]}")
        elif value < 0 or (value == 0 and not zero_allowed):
            problems.add(key, f"must be {'0 or more' if zero_allowed else 'greater than 0'}, got {value}")
        else:
            return float(value)
        return None

    return read


def _whole_number(*, maximum: int) -> Reader:
    """0 up to `maximum` (a bound that keeps a wake within the 6-hour sweep it speeds up)."""

    def read(value: Any, key: str, problems: _Problems) -> int | None:
        if not _is_int(value):
            problems.add(key, f"must be a whole number, got {type(value).__name__}")
        elif not 0 <= value <= maximum:
            problems.add(key, f"must be from 0 to {maximum}, got {value}")
        else:
            return value
        return None

    return read


def _boolean(value: Any, key: str, problems: _Problems) -> bool | None:
    if not isinstance(value, bool):
        problems.add(key, f"must be true or false, got {value!r}")
        return None
    return value


def _one_of(*choices: str) -> Reader:
    def read(value: Any, key: str, problems: _Problems) -> str | None:
        if value not in choices:
            problems.add(key, f"must be one of {', '.join(choices)}, got {value!r}")
            return None
        return value

    return read


def _or_null(read: Reader) -> Reader:
    """`key: null` means the default (None); anything else goes through `read`."""
    return lambda value, key, problems: None if value is None else read(value, key, problems)


def _repo_file(value: Any, key: str, problems: _Problems) -> str | None:
    if not isinstance(value, str) or normalize_repo_path(value) is None:
        problems.add(key, f"must be a file path inside the repository, got {value!r}")
        return None
    return value


def _fix_file_types(value: Any, key: str, problems: _Problems) -> tuple[str, ...] | None:
    file_types = _str_list(value, key, problems, allow_empty=False)
    for i, entry in enumerate(value if isinstance(value, list) else []):
        if isinstance(entry, str) and (never_fix_file_type(entry.lstrip("*")) or never_fix_file_type(entry)):
            problems.add(
                f"{key}[{i}]", f"{entry!r} is never edited (HTML, shell, env and lock files are off limits)"
            )
    return file_types


def _path_filters(value: Any, key: str, problems: _Problems) -> PathFilters | None:
    if not isinstance(value, dict):
        problems.add(key, f"must be a mapping, got {type(value).__name__}")
        return None
    for unknown in _unknown_keys(value, {"include", "exclude"}):
        problems.add(f"{key}.{unknown}", "unknown key")
    if "include" not in value:
        problems.add(f"{key}.include", "required key is missing")
    include = (
        _str_list(value["include"], f"{key}.include", problems, allow_empty=False)
        if "include" in value
        else None
    )
    exclude = _str_list(value.get("exclude", []), f"{key}.exclude", problems)
    for name, prefixes in (("include", include), ("exclude", exclude)):
        for i, prefix in enumerate(prefixes or ()):
            if not _valid_prefix(prefix):
                problems.add(f"{key}.{name}[{i}]", f"must be a relative path, got {prefix!r}")
    if include and exclude is not None:
        return PathFilters(include=include, exclude=exclude)
    return None


_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(RepoConfig) if f.default is not MISSING}


@dataclass(frozen=True, slots=True)
class RepoKey:
    """One repos.yml key of a repository: its reader (type check and conversion) and meaning.

    Its default is the RepoConfig field's; a key whose field has no default is required.
    """

    name: str
    read: Reader
    doc: str
    # the value as repos.yml writes it, when that is not its JSON form (pairs kept as a mapping)
    write: Callable[[Any], Any] | None = None

    def to_json(self, value: Any) -> Any:
        return self.write(value) if self.write is not None else _as_json(value)

    @property
    def required(self) -> bool:
        return self.name not in _DEFAULTS

    @property
    def default(self) -> Any:
        return _DEFAULTS[self.name]


SHARE_PATTERNS = ("owner", "all", "none")
# Browsers a `source_roots` mapping may name (`all`: every browser).
SOURCE_ROOT_BROWSERS = ("chrome", "firefox", "safari", "edge", "all")


def _folder(value: Any, key: str, problems: _Problems) -> str | None:
    """A folder inside the repository as `a/b` ("" for the repository root)."""
    if not isinstance(value, str):
        problems.add(key, f"must be a folder path, got {type(value).__name__}")
        return None
    if not _valid_prefix(value) or "\\" in value:
        problems.add(key, f"must be a folder inside the repository (no '..', not absolute), got {value!r}")
        return None
    folder = posixpath.normpath(value.strip("/") or ".")
    return "" if folder == "." else folder


def _source_roots(value: Any, key: str, problems: _Problems) -> tuple[tuple[str, str], ...]:
    """A list of folders (any browser) or a mapping browser → folder or list of folders."""
    if isinstance(value, list):
        pairs = [("all", item, f"{key}[{i}]") for i, item in enumerate(value)]
    elif isinstance(value, dict):
        pairs = []
        for browser, folders in value.items():
            if browser not in SOURCE_ROOT_BROWSERS:
                problems.add(f"{key}.{browser}", f"must be one of {', '.join(SOURCE_ROOT_BROWSERS)}")
                continue
            items = folders if isinstance(folders, list) else [folders]
            pairs += [(browser, item, f"{key}.{browser}[{i}]") for i, item in enumerate(items)]
    else:
        problems.add(
            key, f"must be a list of folders or a mapping browser: folders, got {type(value).__name__}"
        )
        return ()
    roots = [(browser, _folder(item, where, problems)) for browser, item, where in pairs]
    return tuple((browser, folder) for browser, folder in roots if folder is not None)


def _roots_json(roots: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    mapping: dict[str, list[str]] = {}
    for browser, folder in roots:
        mapping.setdefault(browser, []).append(folder)
    return mapping


def _path_map(value: Any, key: str, problems: _Problems) -> tuple[tuple[str, str], ...]:
    """Served prefix → source prefix, both inside the repository; the longest served prefix first.
    (An empty list, as YAML may spell "none", is no mapping.)"""
    if value == []:
        return ()
    if not isinstance(value, dict):
        problems.add(key, f"must be a mapping 'served/prefix/': 'source/prefix/', got {type(value).__name__}")
        return ()
    pairs = []
    for served, source in value.items():
        where = f"{key}.{served}"
        if not isinstance(served, str):
            problems.add(where, "the served prefix must be a string")
            continue
        served_folder, source_folder = _folder(served, where, problems), _folder(source, where, problems)
        if served_folder is not None and source_folder is not None:
            pairs.append((served_folder, source_folder))
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


def _vendor_paths(value: Any, key: str, problems: _Problems) -> tuple[str, ...] | None:
    paths = _str_list(value, key, problems)
    for i, entry in enumerate(paths or ()):
        if not _valid_prefix(entry.replace("*", "x")):
            problems.add(f"{key}[{i}]", f"must be a path inside the repository, got {entry!r}")
    return paths


# Every key of a repository entry, in the order `homeostat config check` reports problems.
REPO_KEYS: tuple[RepoKey, ...] = (
    RepoKey("slug", _slug, "the repository, 'owner/name'"),
    RepoKey("branch", _text, "the branch fixes are made against"),
    RepoKey("max_prs_per_run", _positive_int, "new PRs per repository per run"),
    RepoKey("labels", _strings(), "labels added to every fix PR"),
    RepoKey("path_filters", _path_filters, "include/exclude directory prefixes a fix may change"),
    RepoKey("trigger_label", _text, "the label the error logger puts on error reports"),
    RepoKey("allowed_authors", _strings(), "issue authors to trust (empty: anyone)"),
    RepoKey("opt_out_label", _text, "the label that tells Homeostat never to touch an issue (any case)"),
    RepoKey("daily_budget_usd", _number(zero_allowed=False), "model spend per repository per UTC day"),
    RepoKey("sensitive_paths", _strings(), "path globs never sent to the cheap tier"),
    RepoKey("max_files_changed", _positive_int, "files one fix may change"),
    RepoKey("max_lines_changed", _positive_int, "lines one fix may change"),
    RepoKey("max_open_prs", _positive_int, "Homeostat's open PRs per repository; more work is deferred"),
    RepoKey("max_prs_per_day", _positive_int, "new PRs per repository per UTC day"),
    RepoKey("max_issue_comments_per_run", _positive_int, "issue comments per fingerprint per run"),
    RepoKey("reviewers", _strings(), "GitHub logins asked to review when a PR becomes ready"),
    RepoKey("ready_after_hours", _number(zero_allowed=True), "hours until a PR with no CI is marked ready"),
    RepoKey("share_patterns", _one_of(*SHARE_PATTERNS), "where other repos' patterns apply at $0"),
    RepoKey("version_file", _repo_file, "the file the extension's version is read from at a merge"),
    RepoKey("close_fixed_pending_release", _boolean, "close reports of a fixed error from older versions"),
    RepoKey("verify_after_days", _positive_int, "report-free days before a merged fix counts as verified"),
    RepoKey("fix_file_types", _fix_file_types, "extensions and globs of the files a fix may edit"),
    RepoKey("installation_id", _or_null(_positive_int), "the App installation that pays (null: the token)"),
    RepoKey("source_roots", _source_roots, "folders served as the extension's root", _roots_json),
    RepoKey("path_map", _path_map, "served prefix → source prefix, for files a build copies", dict),
    RepoKey("vendor_paths", _vendor_paths, "vendored code: never the file a fix edits"),
    RepoKey("ci_ignore", _strings(), "names or globs of optional checks that never decide the CI verdict"),
    RepoKey(
        "ci_start_grace_minutes",
        _number(zero_allowed=True),
        "minutes after a push during which CI that has not started counts as pending",
    ),
    RepoKey(
        "wake_debounce_seconds",
        _whole_number(maximum=3600),
        "seconds a new report waits for others before it wakes a run (a burst: one run)",
    ),
    RepoKey(
        "min_minutes_between_runs",
        _whole_number(maximum=360),
        "minutes between two event-driven runs of the repository (the 6-hour sweep aside)",
    ),
)
REPO_KEY_NAMES = frozenset(spec.name for spec in REPO_KEYS)
# Keys the seed's file carries that Homeostat accepts and ignores (tests run in the repo's CI).
IGNORED_REPO_KEYS = ("test_command", "confidence_threshold")


def _repo_from_mapping(raw: Any, key: str, problems: _Problems) -> RepoConfig | None:
    if not isinstance(raw, dict):
        problems.add(key, f"must be a mapping, got {type(raw).__name__}")
        return None
    before = len(problems.items)
    for unknown in _unknown_keys(raw, {*REPO_KEY_NAMES, *IGNORED_REPO_KEYS}):
        problems.add(f"{key}.{unknown}", "unknown key")
    values = {}
    for spec in REPO_KEYS:
        if spec.name in raw:
            values[spec.name] = spec.read(raw[spec.name], f"{key}.{spec.name}", problems)
        elif spec.required:
            problems.add(f"{key}.{spec.name}", "required key is missing")
    if len(problems.items) > before:
        return None
    return RepoConfig(**values)


def parse_config(data: Any, source: str = "<config>") -> HomeostatConfig:
    """Validate an already-loaded YAML document; raises ConfigError listing every problem."""
    problems = _Problems(source)
    if not isinstance(data, dict):
        problems.add(
            "(root)", f"must be a mapping with 'version' and 'repositories', got {type(data).__name__}"
        )
        raise ConfigError(problems.items)
    for unknown in _unknown_keys(data, {"version", "repositories"}):
        problems.add(unknown, "unknown key")
    version = data.get("version")
    if "version" not in data:
        problems.add("version", "required key is missing")
    elif not _is_int(version) or version != SUPPORTED_VERSION:
        problems.add("version", f"unsupported version {version!r}; supported: {SUPPORTED_VERSION}")

    repos_raw = data.get("repositories")
    repos: list[RepoConfig] = []
    if "repositories" not in data:
        problems.add("repositories", "required key is missing")
    elif not isinstance(repos_raw, list):
        problems.add("repositories", f"must be a list, got {type(repos_raw).__name__}")
    elif not repos_raw:
        problems.add("repositories", "must list at least one repository")
    else:
        seen: dict[str, int] = {}
        for i, raw in enumerate(repos_raw):
            repo = _repo_from_mapping(raw, f"repositories[{i}]", problems)
            slug = raw.get("slug") if isinstance(raw, dict) else None
            if isinstance(slug, str):
                if slug.lower() in seen:
                    problems.add(
                        f"repositories[{i}].slug",
                        f"duplicate slug {slug!r} (first at repositories[{seen[slug.lower()]}])",
                    )
                else:
                    seen[slug.lower()] = i
            if repo is not None:
                repos.append(repo)
    if problems.items:
        raise ConfigError(problems.items)
    return HomeostatConfig(version=version, repositories=tuple(repos))


def read_yaml_file(path: str | Path) -> Any:
    """A YAML file's document; ConfigError(["file: where: reason"]) when it cannot be read."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{source}: (file): not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{source}: (file): cannot be read: {exc}"]) from None
    try:
        return yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{source}: {where}: invalid YAML: {reason}"]) from None


def load_config(path: str | Path) -> HomeostatConfig:
    return parse_config(read_yaml_file(path), str(path))


def repo_from_json(data: dict[str, Any], source: str = "<message>") -> RepoConfig:
    """A single repo's config as the scheduler puts it in a queue message."""
    return parse_config({"version": SUPPORTED_VERSION, "repositories": [data]}, source).repositories[0]


def default_config_path() -> Path:
    """The bundled `.homeostat/repos.yml` (packaged next to the code in Lambda)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / ".homeostat" / "repos.yml", here / ".homeostat" / "repos.yml"):
        if candidate.exists():
            return candidate
    return here.parent / ".homeostat" / "repos.yml"
