"""The seeded secrets corpus (440 values, 40 kinds) in issue messages, breadcrumbs, stack frames and
source files, through the real loop.

The scheduler's message goes through the real worker handler (moto server, local forge, the
scripted model via the openai client). No secret may reach a model request (as recorded by the
scripted server), a log line (everything the Powertools logger wrote), a PR title or body, a
commit message, an issue comment or a run record. Every kind is placed in each of the four places.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import boto3

from homeostat_core.adapters.scripted_llm import ScriptedLlmServer
from homeostat_core.adapters.sqs import SqsJobQueue
from homeostat_core.config import HomeostatConfig
from homeostat_core.jobs import schedule_runs
from homeostat_core.local.runner import LocalStack
from tests.reliability.harness import EXAMPLES, example_repo, figure, logger_issue
from tests.unit.fixing.secrets_corpus import GENERATORS, build_corpus

ISSUES = 10  # so no issue has more stack frames than a prompt lists (12)


def _source_file(k: int, secrets: list[str]) -> tuple[str, int]:
    """A module whose failing function holds the secrets (so its whole body is the prompt's
    source window); returns the text and the failing line."""
    lines = [f"// settings loader {k}", f"export function load{k}(raw{k}) {{"]
    for text in secrets:
        lines.extend(f"  // {line}" for line in text.splitlines())
    lines.append(f"  return JSON.parse(raw{k});")
    failing = len(lines)
    lines += ["}", ""]
    return "\n".join(lines), failing


PLACES = ("message", "crumbs", "frames", "source")
# where a kind's n-th value goes: its first one-line value in a message, two in stack frames (a
# prompt lists twelve), three in source, the rest in breadcrumbs
ORDER = (
    "message",
    "crumbs",
    "frames",
    "source",
    "crumbs",
    "frames",
    "source",
    "crumbs",
    "source",
    "crumbs",
    "crumbs",
)


def _plan(corpus):
    """Spread the corpus over ISSUES issues, every kind in each place it can be written in."""
    placed = {k: {place: [] for place in PLACES} for k in range(ISSUES)}
    seen: dict[str, int] = {}
    in_message: set[str] = set()
    for i, (kind, text, _secret) in enumerate(corpus):
        n = seen[kind] = seen.get(kind, -1) + 1
        where = "source" if "\n" in text else ORDER[n % len(ORDER)]
        if where != "source" and kind not in in_message:
            where = "message"  # the kind's first one-line value
        if where == "frames" and any(c in text for c in "()"):
            where = "crumbs"  # a frame's function name cannot hold parentheses
        if where == "message":
            in_message.add(kind)
        placed[i % ISSUES][where].append(text)
    return placed


def _stack(k: int, line: int, functions: list[str]) -> str:
    """A stack whose in-app frames are named after the seeded values (the PR body lists them)."""
    url = f"chrome-extension://hpoiebnmdefkcpbbhiegdgnhlmbmlbkn/src/lib/leak{k}.js"
    frames = [f"    at load{k} ({url}:{line}:10)"]
    frames += [f"    at {name} ({url}:{line + 1 + n}:3)" for n, name in enumerate(functions)]
    return "SyntaxError: Unexpected token\n    at JSON.parse (<anonymous>)\n" + "\n".join(frames)


def _script() -> dict:
    rules = [
        {
            "name": f"leak{k}",
            "contains": f"src/lib/leak{k}.js",
            "content": json.dumps(
                {
                    "summary": f"Parse settings {k} only when present.",
                    "edits": [
                        {
                            "path": f"src/lib/leak{k}.js",
                            "search": f"  return JSON.parse(raw{k});",
                            "replace": f"  return raw{k} ? JSON.parse(raw{k}) : {{}};",
                        }
                    ],
                }
            ),
        }
        for k in range(ISSUES)
    ]
    return {"rules": rules, "default": {"content": '{"summary": "no", "edits": []}'}}


def test_no_seeded_secret_reaches_a_model_a_log_a_pr_or_a_comment(tmp_path, monkeypatch, captured_log):
    corpus = build_corpus()
    placed = _plan(corpus)
    repo = example_repo(
        "notebridge",
        max_prs_per_run=ISSUES,
        max_open_prs=ISSUES,
        max_prs_per_day=ISSUES,
        daily_budget_usd=50.0,
    )
    source = tmp_path / "source"
    shutil.copytree(EXAMPLES / "repos" / "notebridge", source)
    issues = []
    for k, parts in placed.items():
        text, line = _source_file(k, parts["source"])
        (source / "src" / "lib" / f"leak{k}.js").write_text(text)
        stack = _stack(k, line, parts["frames"])
        message = f"Unexpected token in settings {k}: " + " | ".join(parts["message"])
        issues.append(
            logger_issue(error_type="SyntaxError", message=message, stack=stack, breadcrumbs=parts["crumbs"])
        )

    with ScriptedLlmServer(_script()) as model:
        monkeypatch.setenv("HOMEOSTAT_LLM_BASE_URL", model.base_url)
        monkeypatch.setenv("DEEPSEEK_API_KEY", "scripted")
        monkeypatch.setenv("OPENAI_API_KEY", "scripted")
        # the worker reads the repository's config from the repos.yml it is given, not the message
        repos_file = tmp_path / "repos.yml"
        repos_file.write_text(json.dumps({"version": 1, "repositories": [repo.to_json()]}))
        with LocalStack(tmp_path / "state", env="test", echo=lambda _: None, repos_file=repos_file) as stack:
            forge = stack.forge()
            forge.seed_repo(repo, source)
            numbers = [forge.add_issue(repo, i["title"], i["body"], i["labels"], i["author"]) for i in issues]
            schedule_runs(
                HomeostatConfig(version=1, repositories=(repo,)), "secrets-run", SqsJobQueue(stack.queue_url)
            )
            results = stack.drain()
            prs = forge.list_prs(repo)
            pr_texts = [forge.pr_record(repo, pr.number)["title"] + "\n" + pr.body for pr in prs]
            commit_messages = [_commit_message(forge, repo, pr.number) for pr in prs]
            comments = [c["body"] for n in numbers for c in forge.issue_comments(repo, n)]
            runs_table = boto3.client("dynamodb").scan(TableName=_runs_table())["Items"]
        log_text = (tmp_path / "state" / "homeostat.log").read_text() + captured_log.getvalue()

    assert len(corpus) >= 300 and {kind for kind, _t, _s in corpus} == set(GENERATORS)
    assert [r["failed"] for r in results] == [False]
    assert all(commit_messages), "every PR's head commit has a message"
    assert len(prs) == ISSUES, "every issue became a PR, so PR bodies and comments were written"
    assert len(model.requests) >= ISSUES
    sinks = {
        "model_requests": "\n".join(model.prompts()) + json.dumps([r["body"] for r in model.requests]),
        "log_lines": log_text + log_text.replace('\\"', '"').replace("\\n", "\n"),
        "pr_titles_and_bodies": "\n".join(pr_texts),
        "commit_messages": "\n".join(commit_messages),
        "issue_comments": "\n".join(comments),
    }
    # Each source-file secret really was in a prompt's source window (before scrubbing): the
    # windows are whole functions, so the failing line and the secret comments go together.
    assert all(f"src/lib/leak{k}.js" in sinks["model_requests"] for k in range(ISSUES))
    # ... and every secret was in the inputs and got replaced on the way to the model
    inputs = "\n".join(i["title"] + i["body"] for i in issues) + "".join(
        (source / "src" / "lib" / f"leak{k}.js").read_text() for k in range(ISSUES)
    )
    assert all(secret in inputs for _kind, _text, secret in corpus)
    redactions = "\n".join(model.prompts()).count("[REDACTED:")
    assert redactions >= len(corpus), redactions
    leaks = {
        name: sorted({kind for kind, _t, secret in corpus if secret in text}) for name, text in sinks.items()
    }
    run_records = json.dumps(runs_table)
    record_leaks = sorted({kind for kind, _t, secret in corpus if secret in run_records})
    failures = sum(len(v) for v in leaks.values())
    leaked = {secret for _kind, _t, secret in corpus if any(secret in text for text in sinks.values())}
    print(f"secrets: tried={len(corpus)} kinds={len(GENERATORS)} leaked={len(leaked)} sinks={len(sinks)}")
    figure(
        "secrets",
        cases=len(corpus),
        kinds=len(GENERATORS),
        failures=failures,
        leaked=len(leaked),
        sinks=len(sinks),
        prs=len(prs),
        model_requests=len(model.requests),
        run_record_leaks=len(record_leaks),
        redactions_in_prompts=redactions,
    )
    assert leaks == {name: [] for name in sinks}
    assert record_leaks == []
    # every kind was seeded in each place it can be written in (multi-line values only in source,
    # values with parentheses in no frame), and GitLab tokens in breadcrumbs stayed out of PR bodies
    where: dict[str, set[str]] = {}
    for kind, _text, secret in corpus:
        found = {p for p in PLACES for k in placed if any(secret in t for t in placed[k][p])}
        where.setdefault(kind, set()).update(found)
    for kind, places in where.items():
        texts = [t for k, t, _s in corpus if k == kind]
        if all("\n" in t for t in texts):
            assert places == {"source"}, kind
        elif any(c in t for t in texts for c in "()"):
            assert {"message", "crumbs", "source"} <= places, (kind, places)
        else:
            assert places == set(PLACES), (kind, places)
    # (all of it visible: no message over the PR body's 1,000 characters, no stack over a prompt's 12 frames)
    assert all(len(placed[k]["frames"]) <= 11 for k in placed)
    assert all(len(" | ".join(placed[k]["message"])) < 900 for k in placed)
    in_crumbs = [
        s
        for kind, _t, s in corpus
        if kind == "gitlab_token" and any(s in crumb for k in placed for crumb in placed[k]["crumbs"])
    ]
    assert in_crumbs and not any(s in sinks["pr_titles_and_bodies"] for s in in_crumbs)


def _commit_message(forge, repo, number: int) -> str:
    """The message of the commit a PR's branch points at (the local forge keeps real git)."""
    head = forge.pr_record(repo, number)["head_sha"]
    work = forge.root / repo.owner / repo.name / "repo"
    return subprocess.run(
        ["git", "-C", str(work), "log", "-1", "--format=%B", head], capture_output=True, text=True, check=True
    ).stdout


def _runs_table() -> str:
    from homeostat_core.settings import get_settings

    return get_settings().runs_table
