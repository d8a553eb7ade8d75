"""repos.yml keys that say where a trace's paths are: source_roots, path_map, vendor_paths."""

from __future__ import annotations

import pytest

from homeostat_core.config import ConfigError, parse_config, repo_from_json

GOOD_REPO = {
    "slug": "acme/notes",
    "branch": "main",
    "max_prs_per_run": 2,
    "labels": [],
    "path_filters": {"include": ["."]},
}


def _repo(**keys):
    return parse_config({"version": 1, "repositories": [{**GOOD_REPO, **keys}]}, "repos.yml").repositories[0]


def _problems(**keys) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _repo(**keys)
    return caught.value.problems


def test_defaults_are_empty():
    repo = _repo()
    assert (repo.source_roots, repo.path_map, repo.vendor_paths) == ((), (), ())


def test_source_roots_as_a_list_serve_every_browser():
    assert _repo(source_roots=["src/", "./extension", "."]).source_roots == (
        ("all", "src"),
        ("all", "extension"),
        ("all", ""),
    )


def test_source_roots_per_browser():
    repo = _repo(source_roots={"chrome": "platform/chromium", "firefox": ["platform/firefox"], "all": "src"})
    assert repo.source_roots == (
        ("chrome", "platform/chromium"),
        ("firefox", "platform/firefox"),
        ("all", "src"),
    )


def test_path_map_longest_served_prefix_first():
    repo = _repo(path_map={"": "src/", "js/": "src/scripts/", "js/vendor": "third_party"})
    assert repo.path_map == (("js/vendor", "third_party"), ("js", "src/scripts"), ("", "src"))


@pytest.mark.parametrize(
    ("keys", "where", "reason"),
    [
        ({"source_roots": ["../outside"]}, "source_roots[0]", "inside the repository"),
        ({"source_roots": ["/abs"]}, "source_roots[0]", "inside the repository"),
        ({"source_roots": [3]}, "source_roots[0]", "must be a folder path"),
        ({"source_roots": {"netscape": "src"}}, "source_roots.netscape", "must be one of"),
        ({"source_roots": "src"}, "source_roots", "list of folders or a mapping"),
        ({"path_map": ["js", "src"]}, "path_map", "must be a mapping"),
        ({"path_map": {"js/": "../../etc"}}, "path_map.js/", "inside the repository"),
        ({"path_map": {"js/": "src\\scripts"}}, "path_map.js/", "inside the repository"),
        ({"vendor_paths": ["/usr/lib"]}, "vendor_paths[0]", "inside the repository"),
        ({"vendor_paths": "lib"}, "vendor_paths", "list of strings"),
    ],
)
def test_bad_values_name_file_key_and_reason(keys, where, reason):
    problems = _problems(**keys)
    assert any(p.startswith(f"repos.yml: repositories[0].{where}: ") and reason in p for p in problems), (
        problems
    )


def test_the_keys_survive_the_queue_message():
    repo = _repo(
        source_roots={"chrome": ["chrome"], "firefox": "firefox", "all": "."},
        path_map={"js/": "src/js/"},
        vendor_paths=["lib/*.min.js", "third_party/"],
    )
    assert repo_from_json(repo.to_json()) == repo
