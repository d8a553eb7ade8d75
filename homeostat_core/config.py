"""`.homeostat/repos.yml`: schema version 1, validation and typed, immutable config objects.

Validation collects every problem before failing, each naming the file, the key path and the
reason, so one `homeostat config check` shows all that is wrong at once.

A repository entry is read through `REPO_KEYS`: one row per key with its reader (the type check
and conversion) and a one-line meaning; the key's default is the `RepoConfig` field's default.
To add a repos.yml key:
1. add the field to `RepoConfig`, with its default unless the key is required;
2. add one `RepoKey(name, reader, doc)` row to `REPO_KEYS` (a reader in config_readers.py, or a
   new one there that names the key path in every problem it adds);
3. give it a row in docs/MULTI-REPO-GUIDE.md ("Every key") for the people who write repos.yml.
Nothing else changes in the code: unknown-key and missing-key errors, `RepoConfig.to_json` and the
queue message round trip follow the table. tests/unit/config checks that table and fields agree;
the docs test checks the guide's rows and defaults against the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from homeostat_core import config_readers as read
from homeostat_core.config_paths import (
    DEFAULT_FIX_FILE_TYPES,
    DEFAULT_SENSITIVE_PATHS,
    PathFilters,
    matches_any_glob,
    matches_file_type,
    never_fix_file_type,
)
from homeostat_core.config_readers import Problems, Reader, is_int, unknown_keys

# libyaml's safe loader when PyYAML was built with it (3x faster: 10,000 repositories parse in
# under 2 s instead of over 5), else the pure-Python one; both refuse the same unsafe tags.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SUPPORTED_VERSION = 1


class ConfigError(Exception):
    """A config that cannot be used; `problems` lists every `file: key: reason`."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


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

# Every key of a repository entry, in the order `homeostat config check` reports problems.
REPO_KEYS: tuple[RepoKey, ...] = (
    RepoKey("slug", read.slug, "the repository, 'owner/name'"),
    RepoKey("branch", read.text, "the branch fixes are made against"),
    RepoKey("max_prs_per_run", read.positive_int, "new PRs per repository per run"),
    RepoKey("labels", read.strings(), "labels added to every fix PR"),
    RepoKey("path_filters", read.path_filters, "include/exclude directory prefixes a fix may change"),
    RepoKey("trigger_label", read.text, "the label the error logger puts on error reports"),
    RepoKey("allowed_authors", read.strings(), "issue authors to trust (empty: anyone)"),
    RepoKey("opt_out_label", read.text, "the label that tells Homeostat never to touch an issue (any case)"),
    RepoKey("daily_budget_usd", read.number(zero_allowed=False), "model spend per repository per UTC day"),
    RepoKey("sensitive_paths", read.strings(), "path globs never sent to the cheap tier"),
    RepoKey("max_files_changed", read.positive_int, "files one fix may change"),
    RepoKey("max_lines_changed", read.positive_int, "lines one fix may change"),
    RepoKey("max_open_prs", read.positive_int, "Homeostat's open PRs per repository; more work is deferred"),
    RepoKey("max_prs_per_day", read.positive_int, "new PRs per repository per UTC day"),
    RepoKey("max_issue_comments_per_run", read.positive_int, "issue comments per fingerprint per run"),
    RepoKey("reviewers", read.strings(), "GitHub logins asked to review when a PR becomes ready"),
    RepoKey(
        "ready_after_hours", read.number(zero_allowed=True), "hours until a PR with no CI is marked ready"
    ),
    RepoKey("share_patterns", read.one_of(*SHARE_PATTERNS), "where other repos' patterns apply at $0"),
    RepoKey("version_file", read.repo_file, "the file the extension's version is read from at a merge"),
    RepoKey(
        "close_fixed_pending_release", read.boolean, "close reports of a fixed error from older versions"
    ),
    RepoKey(
        "verify_after_days", read.positive_int, "report-free days before a merged fix counts as verified"
    ),
    RepoKey("fix_file_types", read.fix_file_types, "extensions and globs of the files a fix may edit"),
    RepoKey(
        "installation_id", read.or_null(read.positive_int), "the App installation that pays (null: the token)"
    ),
    RepoKey("source_roots", read.source_roots, "folders served as the extension's root", read.roots_json),
    RepoKey("path_map", read.path_map, "served prefix → source prefix, for files a build copies", dict),
    RepoKey("vendor_paths", read.vendor_paths, "vendored code: never the file a fix edits"),
    RepoKey(
        "ci_ignore", read.strings(), "names or globs of optional checks that never decide the CI verdict"
    ),
    RepoKey(
        "ci_start_grace_minutes",
        read.number(zero_allowed=True),
        "minutes after a push during which CI that has not started counts as pending",
    ),
    RepoKey(
        "wake_debounce_seconds",
        read.whole_number(maximum=3600),
        "seconds a new report waits for others before it wakes a run (a burst: one run)",
    ),
    RepoKey(
        "min_minutes_between_runs",
        read.whole_number(maximum=360),
        "minutes between two event-driven runs of the repository (the 6-hour sweep aside)",
    ),
)
REPO_KEY_NAMES = frozenset(spec.name for spec in REPO_KEYS)
# Keys the seed's file carries that Homeostat accepts and ignores (tests run in the repo's CI).
IGNORED_REPO_KEYS = ("test_command", "confidence_threshold")


def _repo_from_mapping(raw: Any, key: str, problems: Problems) -> RepoConfig | None:
    if not isinstance(raw, dict):
        problems.add(key, f"must be a mapping, got {type(raw).__name__}")
        return None
    before = len(problems.items)
    for unknown in unknown_keys(raw, {*REPO_KEY_NAMES, *IGNORED_REPO_KEYS}):
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
    problems = Problems(source)
    if not isinstance(data, dict):
        problems.add(
            "(root)", f"must be a mapping with 'version' and 'repositories', got {type(data).__name__}"
        )
        raise ConfigError(problems.items)
    for unknown in unknown_keys(data, {"version", "repositories"}):
        problems.add(unknown, "unknown key")
    version = data.get("version")
    if "version" not in data:
        problems.add("version", "required key is missing")
    elif not is_int(version) or version != SUPPORTED_VERSION:
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
