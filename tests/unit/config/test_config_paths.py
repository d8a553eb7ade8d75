"""Path filter semantics: include prefix and not exclude prefix; no escapes, no absolute paths."""

from __future__ import annotations

import posixpath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeostat_core.config import PathFilters, RepoConfig, parse_config
from homeostat_core.config_paths import matches_any_glob, normalize_repo_path

FILTERS = PathFilters(include=("src/", "content/"), exclude=("src/vendor/",))


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("src/a.js", True),
        ("src/deep/b.js", True),
        ("content/c.js", True),
        ("src/vendor/lib.js", False),  # excluded prefix wins
        ("docs/readme.md", False),  # not included
        ("srcfoo/a.js", False),  # prefix is a directory, not a string prefix
        ("src", True),
        ("src/vendorx/a.js", True),
        ("./src/a.js", True),
        ("src/./a.js", True),
        ("src/x/../a.js", True),
        ("src/../docs/a.js", False),  # normalizes out of the include
        ("src/../../etc/passwd", False),  # escapes the repository
        ("../src/a.js", False),
        ("/src/a.js", False),  # absolute
        ("/etc/passwd", False),
        ("src\\a.js", False),
        ("src/a\x00.js", False),
        ("", False),
        (".", False),
    ],
)
def test_allows(path, allowed):
    assert FILTERS.allows(path) is allowed


@pytest.mark.parametrize(
    ("include", "path", "allowed"),
    [
        (("src",), "src/a.js", True),
        (("src",), "srcfoo/a.js", False),
        (("./src",), "src/a.js", True),
        (("src/../lib/",), "lib/a.js", True),
        ((".",), "anything/at/all.js", True),
    ],
)
def test_prefix_spellings(include, path, allowed):
    assert PathFilters(include=include).allows(path) is allowed


def _repo(include):
    return {
        "slug": "a/b",
        "branch": "main",
        "max_prs_per_run": 1,
        "labels": [],
        "path_filters": {"include": include},
    }


def test_prefix_spellings_validate_like_they_match():
    # A prefix the filter honours is accepted; one that escapes or is absolute is rejected
    config = parse_config({"version": 1, "repositories": [_repo(["./src", "src/../lib/", "."])]})
    assert isinstance(config.repositories[0], RepoConfig)
    for bad in ("/", "/src", "../x", "src/../../x"):
        with pytest.raises(Exception) as caught:
            parse_config({"version": 1, "repositories": [_repo([bad])]})
        assert "must be a relative path" in str(caught.value)


def test_sensitive_globs_match_top_level_too():
    assert matches_any_glob("auth/login.js", ("**/auth/**",))
    assert matches_any_glob("src/Payments/stripe.js", ("**/*stripe*",))
    assert not matches_any_glob("src/notes.js", ("**/auth/**", "**/*token*"))


segment = st.sampled_from(["src", "lib", "a", "b.js", "..", ".", "vendor", "content", ""])


@given(st.lists(segment, min_size=1, max_size=8))
def test_escaping_paths_are_never_allowed(segments):
    # Given any relative path built from segments including ".." and "."
    path = "/".join(segments)
    # When its normalization leaves the repository
    escapes = posixpath.normpath(path or ".").split("/")[0] == ".."
    # Then no filter, however broad, allows it
    broad = PathFilters(include=(".", "src", "lib", "content"))
    if escapes:
        assert not broad.allows(path)
        assert normalize_repo_path(path) is None
    elif broad.allows(path):
        normalized = normalize_repo_path(path)
        assert normalized is not None and not normalized.startswith("..") and not normalized.startswith("/")


@given(st.lists(segment, min_size=1, max_size=8))
def test_absolute_paths_are_never_allowed(segments):
    assert not PathFilters(include=(".",)).allows("/" + "/".join(segments))
