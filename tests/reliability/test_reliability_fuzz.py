"""Config and input fuzzing (hypothesis): no unhandled exception, every refusal typed and clear.

- repos.yml: random YAML documents, random text, and mutations of the shipped
  .homeostat/repos.yml (structural and textual) → a HomeostatConfig (which survives the queue
  message round trip) or ConfigError whose problems each read `file: key: reason`.
- logger issues: random titles, bodies and labels, and mutations of examples/issues/*.md →
  an ErrorReport (which fingerprints) or UnparseableIssue with a known code and a reason.
"""

from __future__ import annotations

import copy
import math
import os
import re
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeostat_core.config import (
    ConfigError,
    HomeostatConfig,
    default_config_path,
    load_config,
    repo_from_json,
)
from homeostat_core.fingerprint import fingerprint
from homeostat_core.intake import UNPARSEABLE_CODES, UnparseableIssue, parse_issue
from homeostat_core.models import ErrorReport
from tests.reliability.harness import EXAMPLES, figure, read_issue

EXAMPLES_PER_TEST = 200
FUZZ = settings(
    max_examples=EXAMPLES_PER_TEST,
    deadline=None,
    derandomize=True,  # the same examples on every run: a figure in a table must not wander
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SHIPPED = yaml.safe_load(default_config_path().read_text())
ISSUE_FILES = sorted((EXAMPLES / "issues").rglob("*.md")) + sorted((EXAMPLES / "later").glob("*.md"))
ISSUES = [read_issue(p) for p in ISSUE_FILES]
_WORKDIR = Path(tempfile.gettempdir()) / f"homeostat-reliability-fuzz-{os.getpid()}"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
# Mapping keys are non-blank strings here; blank keys, keys of mixed types and integers beyond
# float range have their own test at the end.
keys = st.text(min_size=1, max_size=20).filter(lambda k: k.strip() and k == k.strip())
yaml_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)
KEYS = [
    "version",
    "repositories",
    "slug",
    "branch",
    "max_prs_per_run",
    "labels",
    "path_filters",
    "include",
    "exclude",
    "trigger_label",
    "allowed_authors",
    "opt_out_label",
    "daily_budget_usd",
    "sensitive_paths",
    "max_files_changed",
    "max_lines_changed",
    "test_command",
    "unknown_key",
]


# --- repos.yml ----------------------------------------------------------------------------------


def _paths(node, prefix=()):
    """Every (container, key) path in a YAML document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


@st.composite
def mutated_config(draw) -> object:
    data = copy.deepcopy(SHIPPED)
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(data))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["delete", "replace", "add_key", "duplicate"]))
        last = path[-1]
        if action == "delete":
            del parent[last]
        elif action == "replace":
            parent[last] = draw(yaml_values)
        elif action == "add_key" and isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = draw(yaml_values)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
    return data


@st.composite
def mutated_text(draw, text: str) -> str:
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        insert = draw(
            st.sampled_from(
                ["", ":", "- ", "\t", "'", '"', "{", "[", "\n  ", "&a", "*a", "!!python/object ", "\x00", "é"]
            )
        )
        text = text[:start] + insert + text[end:]
    return text


def _write(text: str) -> Path:
    _WORKDIR.mkdir(parents=True, exist_ok=True)
    path = _WORKDIR / "repos.yml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


def _well_formed(problem: str, source: str) -> bool:
    """`source: key: reason` with a non-blank key and reason (keys may themselves hold ': ')."""
    if not problem.startswith(f"{source}: "):
        return False
    key, _, reason = problem[len(source) + 2 :].partition(": ")
    return bool(key.strip()) and bool(reason.strip())


def _check_config_text(text: str, tally: dict) -> None:
    path = _write(text)
    tally["cases"] += 1
    try:
        config = load_config(path)
    except ConfigError as exc:
        tally["refused"] += 1
        assert exc.problems, "a ConfigError lists its problems"
        for problem in exc.problems:
            assert _well_formed(problem, str(path)), problem
        return
    assert isinstance(config, HomeostatConfig)
    for repo in config.repositories:  # what the scheduler puts in a queue message comes back
        assert repo_from_json(repo.to_json()) == repo


def _dump(data) -> str | None:
    try:
        return yaml.safe_dump(data, allow_unicode=True)
    except (yaml.YAMLError, ValueError):
        return None


def _run(name: str, test, tally: dict) -> None:
    failed = True
    try:
        test()
        failed = False
    finally:
        figure(name, cases=tally["cases"], failures=int(failed), typed_refusals=tally["refused"])


def test_fuzz_repos_yml_random_documents():
    tally = {"cases": 0, "refused": 0}

    @FUZZ
    @given(st.one_of(yaml_values.map(_dump), st.text(max_size=300)))
    def check(text):
        if text is not None:
            _check_config_text(text, tally)

    _run("fuzz_repos_yml_random", check, tally)


def test_fuzz_repos_yml_mutations_of_the_shipped_file():
    shipped_text = default_config_path().read_text()
    tally = {"cases": 0, "refused": 0}

    @FUZZ
    @given(st.one_of(mutated_config().map(_dump), mutated_text(shipped_text)))
    def check(text):
        if text is not None:
            _check_config_text(text, tally)

    _run("fuzz_repos_yml_mutations", check, tally)


# --- logger issues ------------------------------------------------------------------------------

labels = st.lists(
    st.one_of(
        st.text(max_size=20),
        st.sampled_from(["robot", "source:wordpress", "source:vps", "source:cloakpipe"]),
        st.fixed_dictionaries({"name": st.text(max_size=20)}),
        st.integers(),
        st.none(),
    ),
    max_size=4,
)


def _check_issue(title, body, issue_labels, tally: dict) -> None:
    tally["cases"] += 1
    try:
        report = parse_issue(title, body, issue_labels, 1)
    except UnparseableIssue as exc:
        tally["refused"] += 1
        assert exc.code in UNPARSEABLE_CODES, exc
        assert exc.reason and exc.reason.strip(), exc
        return
    assert isinstance(report, ErrorReport)
    assert report.error_type and report.message
    fp = fingerprint(report)
    assert re.fullmatch(r"[0-9a-f]{12}", fp.id), fp


@st.composite
def mutated_issue(draw) -> tuple[str, str, list]:
    issue = draw(st.sampled_from(ISSUES))
    body = draw(mutated_text(issue["body"])) if draw(st.booleans()) else issue["body"]
    title = draw(mutated_text(issue["title"])) if draw(st.booleans()) else issue["title"]
    if draw(st.booleans()):
        lines = body.splitlines(keepends=True)
        i, j = draw(st.integers(0, max(len(lines) - 1, 0))), draw(st.integers(0, max(len(lines) - 1, 0)))
        lines[i:i], body = lines[j : j + draw(st.integers(0, 6))], None  # duplicate a few lines
        body = "".join(lines)
    if draw(st.booleans()):
        body = body.replace(
            draw(st.sampled_from(["## ", "```", "- ", "1. ", ": "])),
            draw(st.sampled_from(["", "#", "~~~", "* ", ":"])),
        )
    return title, body, issue["labels"] + draw(labels)


def test_fuzz_logger_issues_random_input():
    tally = {"cases": 0, "refused": 0}

    @FUZZ
    @given(
        st.one_of(st.text(max_size=300), st.binary(max_size=100)),
        st.one_of(st.text(max_size=2000), st.binary(max_size=500), st.none()),
        labels,
    )
    def check(title, body, issue_labels):
        _check_issue(title, body, issue_labels, tally)

    _run("fuzz_issues_random", check, tally)


def test_fuzz_logger_issues_mutations_of_the_examples():
    assert len(ISSUES) >= 8
    tally = {"cases": 0, "refused": 0}

    @FUZZ
    @given(mutated_issue())
    def check(issue):
        _check_issue(*issue, tally)

    _run("fuzz_issues_mutations", check, tally)


def test_the_unmutated_examples_parse():
    # Sanity for the mutation test: the seeds themselves are good reports (except the one that
    # is garbled on purpose).
    parsed = 0
    for issue in ISSUES:
        try:
            parse_issue(issue["title"], issue["body"], issue["labels"])
            parsed += 1
        except UnparseableIssue:
            pass
    assert parsed == len(ISSUES) - 1
    assert not math.isnan(parsed)


def test_config_refuses_odd_keys_and_huge_numbers_with_typed_errors():
    from homeostat_core.config import parse_config

    documents = [
        {1: "a", "b": 2},  # two unknown keys of different types
        {"version": 1, "repositories": [{**SHIPPED["repositories"][0], "daily_budget_usd": 10**400}]},
        {"": 1, "version": 1, "repositories": SHIPPED["repositories"]},
    ]
    for document in documents:
        try:
            parse_config(document, "repos.yml")
        except ConfigError as exc:
            assert all(_well_formed(p, "repos.yml") for p in exc.problems), exc.problems
        else:
            raise AssertionError(f"accepted {document!r}")
