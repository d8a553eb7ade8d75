"""The readers of a repos.yml repository entry: each checks one key's value and converts it,
adding every problem it finds with the key path (`REPO_KEYS` in config.py names one per key)."""

from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Callable
from typing import Any

from homeostat_core.config_paths import PathFilters, never_fix_file_type, normalize_repo_path, valid_prefix

SLUG_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
# Browsers a `source_roots` mapping may name (`all`: every browser).
SOURCE_ROOT_BROWSERS = ("chrome", "firefox", "safari", "edge", "all")


class Problems:
    """Every problem of one file, each as `file: key path: reason`."""

    def __init__(self, source: str):
        self.source = source
        self.items: list[str] = []

    def add(self, key: str, reason: str) -> None:
        self.items.append(f"{self.source}: {key}: {reason}")


def unknown_keys(mapping: dict, known: set[str]) -> list[str]:
    """Unknown keys as printable names: YAML keys may be numbers, blank or of mixed types."""
    unknown = [k for k in mapping if k not in known]
    return sorted((k if isinstance(k, str) and k.strip() else repr(k)) for k in unknown)


def _finite(number: int | float) -> bool:
    try:
        return math.isfinite(number)
    except OverflowError:  # an integer beyond float range
        return False


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- Readers: (value, key path, problems) -> the typed value; each problem names the key path.
# The repository is refused when a reader added a problem, so a reader's return value then
# does not matter.
Reader = Callable[[Any, str, Problems], Any]


def _str_list(
    value: Any, key: str, problems: Problems, *, allow_empty: bool = True
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


def strings(*, allow_empty: bool = True) -> Reader:
    return lambda value, key, problems: _str_list(value, key, problems, allow_empty=allow_empty)


def text(value: Any, key: str, problems: Problems) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.add(key, "must be a non-empty string")
        return None
    return value


def slug(value: Any, key: str, problems: Problems) -> str | None:
    if not isinstance(value, str) or not SLUG_RE.match(value):
        problems.add(key, f"must be 'owner/name', got {value!r}")
        return None
    return value


def positive_int(value: Any, key: str, problems: Problems) -> int | None:
    if not is_int(value):
        problems.add(key, f"must be an integer, got {type(value).__name__}")
        return None
    if value <= 0:
        problems.add(key, f"must be greater than 0, got {value}")
        return None
    return value


def number(*, zero_allowed: bool) -> Reader:
    def read(value: Any, key: str, problems: Problems) -> float | None:
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


def whole_number(*, maximum: int) -> Reader:
    """0 up to `maximum` (a bound that keeps a wake within the 6-hour sweep it speeds up)."""

    def read(value: Any, key: str, problems: Problems) -> int | None:
        if not is_int(value):
            problems.add(key, f"must be a whole number, got {type(value).__name__}")
        elif not 0 <= value <= maximum:
            problems.add(key, f"must be from 0 to {maximum}, got {value}")
        else:
            return value
        return None

    return read


def boolean(value: Any, key: str, problems: Problems) -> bool | None:
    if not isinstance(value, bool):
        problems.add(key, f"must be true or false, got {value!r}")
        return None
    return value


def one_of(*choices: str) -> Reader:
    def read(value: Any, key: str, problems: Problems) -> str | None:
        if value not in choices:
            problems.add(key, f"must be one of {', '.join(choices)}, got {value!r}")
            return None
        return value

    return read


def or_null(read: Reader) -> Reader:
    """`key: null` means the default (None); anything else goes through `read`."""
    return lambda value, key, problems: None if value is None else read(value, key, problems)


def repo_file(value: Any, key: str, problems: Problems) -> str | None:
    if not isinstance(value, str) or normalize_repo_path(value) is None:
        problems.add(key, f"must be a file path inside the repository, got {value!r}")
        return None
    return value


def fix_file_types(value: Any, key: str, problems: Problems) -> tuple[str, ...] | None:
    file_types = _str_list(value, key, problems, allow_empty=False)
    for i, entry in enumerate(value if isinstance(value, list) else []):
        if isinstance(entry, str) and (never_fix_file_type(entry.lstrip("*")) or never_fix_file_type(entry)):
            problems.add(
                f"{key}[{i}]", f"{entry!r} is never edited (HTML, shell, env and lock files are off limits)"
            )
    return file_types


def path_filters(value: Any, key: str, problems: Problems) -> PathFilters | None:
    if not isinstance(value, dict):
        problems.add(key, f"must be a mapping, got {type(value).__name__}")
        return None
    for unknown in unknown_keys(value, {"include", "exclude"}):
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
            if not valid_prefix(prefix):
                problems.add(f"{key}.{name}[{i}]", f"must be a relative path, got {prefix!r}")
    if include and exclude is not None:
        return PathFilters(include=include, exclude=exclude)
    return None


def _folder(value: Any, key: str, problems: Problems) -> str | None:
    """A folder inside the repository as `a/b` ("" for the repository root)."""
    if not isinstance(value, str):
        problems.add(key, f"must be a folder path, got {type(value).__name__}")
        return None
    if not valid_prefix(value) or "\\" in value:
        problems.add(key, f"must be a folder inside the repository (no '..', not absolute), got {value!r}")
        return None
    folder = posixpath.normpath(value.strip("/") or ".")
    return "" if folder == "." else folder


def source_roots(value: Any, key: str, problems: Problems) -> tuple[tuple[str, str], ...]:
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


def roots_json(roots: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    mapping: dict[str, list[str]] = {}
    for browser, folder in roots:
        mapping.setdefault(browser, []).append(folder)
    return mapping


def path_map(value: Any, key: str, problems: Problems) -> tuple[tuple[str, str], ...]:
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


def vendor_paths(value: Any, key: str, problems: Problems) -> tuple[str, ...] | None:
    paths = _str_list(value, key, problems)
    for i, entry in enumerate(paths or ()):
        if not valid_prefix(entry.replace("*", "x")):
            problems.add(f"{key}[{i}]", f"must be a path inside the repository, got {entry!r}")
    return paths
