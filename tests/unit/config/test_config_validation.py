"""repos.yml validation: every problem named by file, key path and reason, all at once."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from homeostat_core.config import ConfigError, default_config_path, load_config, parse_config, repo_from_json

SHIPPED = Path(__file__).resolve().parents[3] / ".homeostat" / "repos.yml"

GOOD_REPO = {
    "slug": "acme/notes",
    "branch": "main",
    "max_prs_per_run": 2,
    "labels": ["homeostat-fix"],
    "path_filters": {"include": ["src/"], "exclude": ["src/vendor/"]},
}


def _write(tmp_path: Path, data) -> Path:
    path = tmp_path / "repos.yml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def _problems(tmp_path: Path, data) -> tuple[Path, list[str]]:
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return path, caught.value.problems


def _config(**repo_overrides):
    repo = {**GOOD_REPO, **repo_overrides}
    return {"version": 1, "repositories": [repo]}


def _without(key):
    repo = dict(GOOD_REPO)
    del repo[key]
    return {"version": 1, "repositories": [repo]}


def assert_problem(path: Path, problems: list[str], key: str, reason: str) -> None:
    expected_prefix = f"{path}: {key}: "
    matching = [p for p in problems if p.startswith(expected_prefix) and reason in p]
    assert matching, f"no problem '{expected_prefix}...{reason}' in {problems}"


def test_good_config_loads(tmp_path):
    config = load_config(_write(tmp_path, _config()))
    repo = config.repo("acme/notes")
    assert (repo.owner, repo.name, repo.max_prs_per_run) == ("acme", "notes", 2)
    assert repo.path_filters.include == ("src/",)


def test_shipped_repos_yml_loads_three_repos():
    config = load_config(SHIPPED)
    assert config.version == 1
    assert [r.slug for r in config.repositories] == [
        "littlebearapps/convert-my-file",
        "littlebearapps/notebridge",
        "littlebearapps/palette-kit",
    ]
    assert default_config_path() == SHIPPED


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({**_config(), "extra": 1}, "extra"),
        (_config(test_timeout=5), "repositories[0].test_timeout"),
        (_config(path_filters={"include": ["src/"], "only": ["x"]}), "repositories[0].path_filters.only"),
    ],
)
def test_unknown_keys(tmp_path, data, key):
    path, problems = _problems(tmp_path, data)
    assert_problem(path, problems, key, "unknown key")


def test_seed_keys_are_accepted_and_ignored(tmp_path):
    config = load_config(_write(tmp_path, _config(test_command="npm test", confidence_threshold=0.8)))
    assert config.repositories[0].slug == "acme/notes"


@pytest.mark.parametrize(
    ("overrides", "key", "reason"),
    [
        ({"max_prs_per_run": "two"}, "repositories[0].max_prs_per_run", "must be an integer, got str"),
        ({"max_prs_per_run": True}, "repositories[0].max_prs_per_run", "must be an integer, got bool"),
        ({"max_lines_changed": 1.5}, "repositories[0].max_lines_changed", "must be an integer, got float"),
        ({"labels": "homeostat-fix"}, "repositories[0].labels", "must be a list of strings, got str"),
        ({"labels": ["ok", 3]}, "repositories[0].labels[1]", "must be a non-empty string"),
        ({"path_filters": ["src/"]}, "repositories[0].path_filters", "must be a mapping, got list"),
        (
            {"path_filters": {"include": "src/"}},
            "repositories[0].path_filters.include",
            "must be a list of strings",
        ),
        ({"branch": 5}, "repositories[0].branch", "must be a non-empty string"),
        ({"daily_budget_usd": "cheap"}, "repositories[0].daily_budget_usd", "must be a number, got str"),
        ({"trigger_label": ""}, "repositories[0].trigger_label", "must be a non-empty string"),
        ({"allowed_authors": "me"}, "repositories[0].allowed_authors", "must be a list of strings"),
        ({"ci_ignore": "lint"}, "repositories[0].ci_ignore", "must be a list of strings, got str"),
        ({"ci_ignore": ["lint", ""]}, "repositories[0].ci_ignore[1]", "must be a non-empty string"),
        ({"ci_start_grace_minutes": "soon"}, "repositories[0].ci_start_grace_minutes", "must be a number"),
        ({"ci_start_grace_minutes": True}, "repositories[0].ci_start_grace_minutes", "must be a number"),
        ({"ci_start_grace_minutes": -1}, "repositories[0].ci_start_grace_minutes", "must be 0 or more"),
        (
            {"ci_start_grace_minutes": float("inf")},
            "repositories[0].ci_start_grace_minutes",
            "must be a finite number",
        ),
    ],
)
def test_wrong_types(tmp_path, overrides, key, reason):
    path, problems = _problems(tmp_path, _config(**overrides))
    assert_problem(path, problems, key, reason)


def test_repositories_and_repo_entries_must_have_the_right_shape(tmp_path):
    path, problems = _problems(tmp_path, {"version": 1, "repositories": {"slug": "a/b"}})
    assert_problem(path, problems, "repositories", "must be a list, got dict")
    path, problems = _problems(tmp_path, {"version": 1, "repositories": ["acme/notes"]})
    assert_problem(path, problems, "repositories[0]", "must be a mapping, got str")
    path, problems = _problems(tmp_path, "- just\n- a list\n")
    assert_problem(path, problems, "(root)", "must be a mapping")


def test_duplicate_slugs_case_insensitive(tmp_path):
    data = {"version": 1, "repositories": [GOOD_REPO, {**GOOD_REPO, "slug": "Acme/Notes"}]}
    path, problems = _problems(tmp_path, data)
    assert_problem(
        path, problems, "repositories[1].slug", "duplicate slug 'Acme/Notes' (first at repositories[0])"
    )


@pytest.mark.parametrize(
    "slug", ["acme", "acme/notes/extra", "-acme/notes", "acme/", "/notes", "ac me/notes", 42]
)
def test_bad_slug_format(tmp_path, slug):
    path, problems = _problems(tmp_path, _config(slug=slug))
    assert_problem(path, problems, "repositories[0].slug", "must be 'owner/name'")


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"max_prs_per_run": 0}, "repositories[0].max_prs_per_run"),
        ({"max_prs_per_run": -1}, "repositories[0].max_prs_per_run"),
        ({"max_files_changed": 0}, "repositories[0].max_files_changed"),
        ({"max_lines_changed": -5}, "repositories[0].max_lines_changed"),
        ({"daily_budget_usd": 0}, "repositories[0].daily_budget_usd"),
        ({"daily_budget_usd": -0.5}, "repositories[0].daily_budget_usd"),
    ],
)
def test_negative_or_zero_limits(tmp_path, overrides, key):
    path, problems = _problems(tmp_path, _config(**overrides))
    assert_problem(path, problems, key, "must be greater than 0")


@pytest.mark.parametrize("value", [".nan", ".inf"])
def test_non_finite_budget(tmp_path, value):
    text = yaml.safe_dump(_config()).replace("version: 1", "version: 1").rstrip() + "\n"
    text = text.replace("  slug: acme/notes", f"  slug: acme/notes\n  daily_budget_usd: {value}")
    path, problems = _problems(tmp_path, text)
    assert_problem(path, problems, "repositories[0].daily_budget_usd", "must be a finite number")


def test_empty_include_list(tmp_path):
    path, problems = _problems(tmp_path, _config(path_filters={"include": []}))
    assert_problem(path, problems, "repositories[0].path_filters.include", "must not be empty")


@pytest.mark.parametrize("version", [2, 0, "1", True, 1.0, None])
def test_unsupported_version(tmp_path, version):
    path, problems = _problems(tmp_path, {**_config(), "version": version})
    assert_problem(path, problems, "version", "unsupported version")


@pytest.mark.parametrize("key", ["slug", "branch", "max_prs_per_run", "labels", "path_filters"])
def test_missing_required_repo_key(tmp_path, key):
    path, problems = _problems(tmp_path, _without(key))
    assert_problem(path, problems, f"repositories[0].{key}", "required key is missing")


@pytest.mark.parametrize("key", ["version", "repositories"])
def test_missing_required_root_key(tmp_path, key):
    data = _config()
    del data[key]
    path, problems = _problems(tmp_path, data)
    assert_problem(path, problems, key, "required key is missing")


def test_missing_include(tmp_path):
    path, problems = _problems(tmp_path, _config(path_filters={"exclude": ["docs/"]}))
    assert_problem(path, problems, "repositories[0].path_filters.include", "required key is missing")


def test_invalid_yaml_names_line_and_column(tmp_path):
    path = _write(tmp_path, "version: 1\nrepositories:\n  - slug: [unclosed\n    branch: main\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}: line ") and ", column " in problem and "invalid YAML" in problem


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yml")
    assert caught.value.problems == [f"{tmp_path / 'nope.yml'}: (file): not found"]


def test_every_problem_is_reported_at_once(tmp_path):
    # Given a file with problems in the root, in two repos and in path filters
    text = textwrap.dedent(
        """
        version: 3
        colour: blue
        repositories:
          - slug: acme/notes
            branch: main
            max_prs_per_run: 0
            labels: [ok]
            path_filters: {include: []}
          - slug: not-a-slug
            max_prs_per_run: two
            labels: [ok]
            path_filters: {include: [/etc]}
          - slug: ACME/notes
            branch: main
            max_prs_per_run: 1
            labels: [ok]
            path_filters: {include: [src/]}
        """
    )
    path, problems = _problems(tmp_path, text)
    # Then each is listed, with file, key and reason
    expected = [
        ("colour", "unknown key"),
        ("version", "unsupported version 3"),
        ("repositories[0].max_prs_per_run", "must be greater than 0"),
        ("repositories[0].path_filters.include", "must not be empty"),
        ("repositories[1].branch", "required key is missing"),
        ("repositories[1].slug", "must be 'owner/name'"),
        ("repositories[1].max_prs_per_run", "must be an integer"),
        ("repositories[1].path_filters.include[0]", "must be a relative path"),
        ("repositories[2].slug", "duplicate slug"),
    ]
    for key, reason in expected:
        assert_problem(path, problems, key, reason)
    assert len(problems) == len(expected)
    assert str(ConfigError(problems)) == "\n".join(problems)


def test_ci_keys_default_and_load(tmp_path):
    default = load_config(_write(tmp_path, _config())).repositories[0]
    assert (default.ci_ignore, default.ci_start_grace_minutes) == ((), 15.0)
    repo = load_config(
        _write(tmp_path, _config(ci_ignore=["codecov/*", "Lint"], ci_start_grace_minutes=0))
    ).repositories[0]
    assert (repo.ci_ignore, repo.ci_start_grace_minutes) == (("codecov/*", "Lint"), 0.0)
    assert repo_from_json(repo.to_json()) == repo  # survives the queue message


def test_repo_from_json_round_trip():
    repo = load_config(SHIPPED).repositories[0]
    again = repo_from_json(repo.to_json())
    assert again == repo


def test_parse_config_without_file_uses_source_name():
    with pytest.raises(ConfigError) as caught:
        parse_config({"version": 1}, source="<message>")
    assert caught.value.problems == ["<message>: repositories: required key is missing"]


def test_a_python_tag_in_repos_yml_is_refused_not_run(tmp_path):
    marker = tmp_path / "ran"
    path = _write(
        tmp_path,
        f"version: 1\nrepositories: !!python/object/apply:os.system ['touch {marker}']\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "invalid YAML" in caught.value.problems[0] and "python/object" in caught.value.problems[0]
    assert not marker.exists()
