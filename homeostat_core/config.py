"""`.homeostat/repos.yml`: schema version 1, validation and typed, immutable config objects.

Validation collects every problem before failing, each naming the file, the key path and the
reason, so one `homeostat config check` shows all that is wrong at once.
"""

from __future__ import annotations

import math
import posixpath
import re
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

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
    # Where patterns learned in other repositories may be applied at $0: same owner, all, none.
    share_patterns: str = "owner"
    # Production outcomes (docs/LIFECYCLE.md): where the extension's version lives, what to do
    # with reports of a fixed error from versions without the fix, when a fix counts as verified.
    version_file: str = "manifest.json"
    close_fixed_pending_release: bool = True
    verify_after_days: int = 14
    fix_file_types: tuple[str, ...] = DEFAULT_FIX_FILE_TYPES
    # The GitHub App installation that pays for this repo's API calls (and its lane on the queue);
    # None: the personal access token does.
    installation_id: int | None = None

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
        data = asdict(self)
        data["path_filters"] = {
            "include": list(self.path_filters.include),
            "exclude": list(self.path_filters.exclude),
        }
        for key in ("labels", "allowed_authors", "sensitive_paths", "reviewers", "fix_file_types"):
            data[key] = list(data[key])
        return data


@dataclass(frozen=True, slots=True)
class HomeostatConfig:
    version: int
    repositories: tuple[RepoConfig, ...] = field(default_factory=tuple)

    def repo(self, slug: str) -> RepoConfig:
        for repo in self.repositories:
            if repo.slug == slug:
                return repo
        raise KeyError(slug)


_REQUIRED = ("slug", "branch", "max_prs_per_run", "labels", "path_filters")
_OPTIONAL = {
    "trigger_label": "robot",
    "allowed_authors": (),
    "opt_out_label": "do-not-fix",
    "daily_budget_usd": 1.0,
    "sensitive_paths": DEFAULT_SENSITIVE_PATHS,
    "max_files_changed": 3,
    "max_lines_changed": 80,
    "max_open_prs": 5,
    "max_prs_per_day": 10,
    "max_issue_comments_per_run": 20,
    "reviewers": (),
    "ready_after_hours": 2.0,
    "share_patterns": "owner",
    "version_file": "manifest.json",
    "close_fixed_pending_release": True,
    "verify_after_days": 14,
    "fix_file_types": DEFAULT_FIX_FILE_TYPES,
    "installation_id": None,
}
SHARE_PATTERNS = ("owner", "all", "none")
# Keys the seed's file carries that Homeostat accepts and ignores (tests run in the repo's CI).
_IGNORED = ("test_command", "confidence_threshold")


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


def _repo_from_mapping(raw: Any, key: str, problems: _Problems) -> RepoConfig | None:
    if not isinstance(raw, dict):
        problems.add(key, f"must be a mapping, got {type(raw).__name__}")
        return None
    before = len(problems.items)
    for unknown in _unknown_keys(raw, {*_REQUIRED, *_OPTIONAL, *_IGNORED}):
        problems.add(f"{key}.{unknown}", "unknown key")
    for required in _REQUIRED:
        if required not in raw:
            problems.add(f"{key}.{required}", "required key is missing")

    slug = raw.get("slug")
    if "slug" in raw and (not isinstance(slug, str) or not SLUG_RE.match(slug)):
        problems.add(f"{key}.slug", f"must be 'owner/name', got {slug!r}")
    branch = raw.get("branch")
    if "branch" in raw and (not isinstance(branch, str) or not branch.strip()):
        problems.add(f"{key}.branch", "must be a non-empty string")

    def positive_int(name: str, default: int | None = None) -> int | None:
        value = raw.get(name, default)
        if name not in raw and default is None:
            return None
        if not _is_int(value):
            problems.add(f"{key}.{name}", f"must be an integer, got {type(value).__name__}")
            return None
        if value <= 0:
            problems.add(f"{key}.{name}", f"must be greater than 0, got {value}")
            return None
        return value

    max_prs = positive_int("max_prs_per_run")
    max_files = positive_int("max_files_changed", _OPTIONAL["max_files_changed"])
    max_lines = positive_int("max_lines_changed", _OPTIONAL["max_lines_changed"])
    max_open_prs = positive_int("max_open_prs", _OPTIONAL["max_open_prs"])
    max_prs_per_day = positive_int("max_prs_per_day", _OPTIONAL["max_prs_per_day"])
    max_comments = positive_int("max_issue_comments_per_run", _OPTIONAL["max_issue_comments_per_run"])
    reviewers = _str_list(raw["reviewers"], f"{key}.reviewers", problems) if "reviewers" in raw else ()
    ready_after = raw.get("ready_after_hours", _OPTIONAL["ready_after_hours"])
    if isinstance(ready_after, bool) or not isinstance(ready_after, int | float) or not _finite(ready_after):
        problems.add(f"{key}.ready_after_hours", f"must be a number, got {type(ready_after).__name__}")
    elif ready_after < 0:
        problems.add(f"{key}.ready_after_hours", f"must be 0 or more, got {ready_after}")
    verify_after_days = positive_int("verify_after_days", _OPTIONAL["verify_after_days"])
    version_file = raw.get("version_file", _OPTIONAL["version_file"])
    if not isinstance(version_file, str) or normalize_repo_path(version_file) is None:
        problems.add(
            f"{key}.version_file", f"must be a file path inside the repository, got {version_file!r}"
        )
    close_pending = raw.get("close_fixed_pending_release", _OPTIONAL["close_fixed_pending_release"])
    if not isinstance(close_pending, bool):
        problems.add(f"{key}.close_fixed_pending_release", f"must be true or false, got {close_pending!r}")
    share = raw.get("share_patterns", _OPTIONAL["share_patterns"])
    if share not in SHARE_PATTERNS:
        problems.add(f"{key}.share_patterns", f"must be one of {', '.join(SHARE_PATTERNS)}, got {share!r}")
    installation_id = positive_int("installation_id") if raw.get("installation_id") is not None else None

    labels = _str_list(raw["labels"], f"{key}.labels", problems) if "labels" in raw else None

    filters = None
    if "path_filters" in raw:
        pf = raw["path_filters"]
        if not isinstance(pf, dict):
            problems.add(f"{key}.path_filters", f"must be a mapping, got {type(pf).__name__}")
        else:
            for unknown in _unknown_keys(pf, {"include", "exclude"}):
                problems.add(f"{key}.path_filters.{unknown}", "unknown key")
            if "include" not in pf:
                problems.add(f"{key}.path_filters.include", "required key is missing")
            include = (
                _str_list(pf["include"], f"{key}.path_filters.include", problems, allow_empty=False)
                if "include" in pf
                else None
            )
            exclude = _str_list(pf.get("exclude", []), f"{key}.path_filters.exclude", problems)
            for name, prefixes in (("include", include), ("exclude", exclude)):
                for i, prefix in enumerate(prefixes or ()):
                    if not _valid_prefix(prefix):
                        problems.add(
                            f"{key}.path_filters.{name}[{i}]", f"must be a relative path, got {prefix!r}"
                        )
            if include and exclude is not None:
                filters = PathFilters(include=include, exclude=exclude)

    def string(name: str) -> str | None:
        value = raw.get(name, _OPTIONAL[name])
        if not isinstance(value, str) or not value.strip():
            problems.add(f"{key}.{name}", "must be a non-empty string")
            return None
        return value

    trigger_label = string("trigger_label")
    opt_out_label = string("opt_out_label")
    allowed_authors = (
        _str_list(raw["allowed_authors"], f"{key}.allowed_authors", problems)
        if "allowed_authors" in raw
        else ()
    )
    sensitive = (
        _str_list(raw["sensitive_paths"], f"{key}.sensitive_paths", problems)
        if "sensitive_paths" in raw
        else DEFAULT_SENSITIVE_PATHS
    )
    file_types = DEFAULT_FIX_FILE_TYPES
    if "fix_file_types" in raw:
        file_types = _str_list(raw["fix_file_types"], f"{key}.fix_file_types", problems, allow_empty=False)
        entries = raw["fix_file_types"] if isinstance(raw["fix_file_types"], list) else []
        for i, entry in enumerate(entries):
            if isinstance(entry, str) and (
                never_fix_file_type(entry.lstrip("*")) or never_fix_file_type(entry)
            ):
                problems.add(
                    f"{key}.fix_file_types[{i}]",
                    f"{entry!r} is never edited (HTML, shell, env and lock files are off limits)",
                )
    budget = raw.get("daily_budget_usd", _OPTIONAL["daily_budget_usd"])
    if isinstance(budget, bool) or not isinstance(budget, int | float):
        problems.add(f"{key}.daily_budget_usd", f"must be a number, got {type(budget).__name__}")
    elif not _finite(budget):
        problems.add(f"{key}.daily_budget_usd", f"must be a finite number, got {str(budget)[:40]}")
    elif budget <= 0:
        problems.add(f"{key}.daily_budget_usd", f"must be greater than 0, got {budget}")

    if len(problems.items) > before:
        return None
    return RepoConfig(
        slug=slug,
        branch=branch,
        max_prs_per_run=max_prs,
        labels=labels,
        path_filters=filters,
        trigger_label=trigger_label,
        allowed_authors=allowed_authors,
        opt_out_label=opt_out_label,
        daily_budget_usd=float(budget),
        sensitive_paths=sensitive,
        max_files_changed=max_files,
        max_lines_changed=max_lines,
        max_open_prs=max_open_prs,
        max_prs_per_day=max_prs_per_day,
        max_issue_comments_per_run=max_comments,
        reviewers=reviewers,
        ready_after_hours=float(ready_after),
        share_patterns=share,
        version_file=version_file,
        close_fixed_pending_release=close_pending,
        verify_after_days=verify_after_days,
        fix_file_types=file_types,
        installation_id=installation_id,
    )


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
        return yaml.safe_load(text)
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
