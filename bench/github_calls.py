"""GitHub API calls per repo run: the real pipeline against the fake GitHub server.

`run_repo` runs with the PyGithub adapter pointed at tests/fakes/fake_github.py, the scripted
model server, and DynamoDB state in moto. Prints, per run, the requests sent and the ones GitHub
charges against the rate limit (a conditional request answered 304 is free), and the targets:
an idle repo (no eligible issue) <= 2 requests; per issue that yields a new PR <= 8 requests,
run overhead included; per open PR per run, once its state is known, <= 1.2 charged requests.

    .venv/bin/python bench/github_calls.py
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"

from moto import mock_aws  # noqa: E402

from homeostat_core.adapters.dynamo import DynamoState, create_tables  # noqa: E402
from homeostat_core.adapters.github_forge import GitHubForge, default_retry  # noqa: E402
from homeostat_core.adapters.openai_llm import OpenAIChatModel, static_key_provider  # noqa: E402
from homeostat_core.adapters.scripted_llm import ScriptedLlmServer  # noqa: E402
from homeostat_core.config import PathFilters, RepoConfig  # noqa: E402
from homeostat_core.fingerprint import fingerprint  # noqa: E402
from homeostat_core.fixing.model_settings import load_model_settings  # noqa: E402
from homeostat_core.intake import parse_issue  # noqa: E402
from homeostat_core.observability import logger  # noqa: E402
from homeostat_core.pipeline import run_repo  # noqa: E402
from homeostat_core.ports import Ports, SystemClock
from homeostat_core.settings import parse_settings  # noqa: E402
from tests.fakes.fake_github import FakeGitHub  # noqa: E402

SLUG = "acme/widget"
SOURCE = "src/background/sync.js"
ISSUES = 5
REPO = RepoConfig(
    slug=SLUG,
    branch="main",
    max_prs_per_run=10,
    labels=("homeostat",),
    path_filters=PathFilters(include=("src",)),
)


def source_file() -> str:
    lines = ["// Tab sync helpers."]
    for i in range(ISSUES):
        lines += [f"export function sync{i}(tab) {{", f"  return tab.url + '#{i}';", "}", ""]
    return "\n".join(lines)


def issue(i: int) -> tuple[str, str]:
    line = 3 + 4 * i
    title = "[Widget] TypeError: Cannot read properties of undefined (reading 'url')"
    body = f"""## Error Details
- Extension: Widget v1.0.0
- Error Type: TypeError
- Message: Cannot read properties of undefined (reading 'url')

## Stack Trace
```
TypeError: Cannot read properties of undefined (reading 'url')
    at sync{i} (chrome-extension://abcdefghijklmnopabcdefghijklmnop/{SOURCE}:{line}:14)
```

## Breadcrumbs
1. Tab activated
"""
    return title, body


def script() -> dict:
    rules = []
    for i in range(ISSUES):
        title, body = issue(i)
        fp = fingerprint(parse_issue(title, body, ["robot"]))
        edit = {
            "path": SOURCE,
            "search": f"  return tab.url + '#{i}';",
            "replace": f"  return tab?.url + '#{i}';",
        }
        rules.append({"fingerprint": fp.id, "content": json.dumps({"summary": "guard", "edits": [edit]})})
    return {"rules": rules}


def _route(path: str) -> str:
    parts = path.split("?")[0].split("/")[4:]  # drop '', 'repos', owner, name
    return "/".join("{n}" if p.isdigit() or len(p) == 40 else p for p in parts[:3])


def main() -> None:
    logger.setLevel("WARNING")
    with mock_aws(), FakeGitHub(tokens=["bench-token"]) as fake, ScriptedLlmServer(script()) as llm_server:
        settings = parse_settings({"AWS_REGION": "us-east-1"})
        create_tables(settings)
        state = DynamoState.from_settings(settings)
        fake.add_repo(SLUG, "main", {SOURCE: source_file()})
        forge = GitHubForge.from_token(
            "bench-token",
            fake.base_url,
            retry=default_retry(backoff_factor=0.001),
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        ports = Ports(
            forge=forge,
            llm=OpenAIChatModel(key_provider=static_key_provider()),
            attempts=state.attempts,
            patterns=state.patterns,
            budgets=state.budgets,
            runs=state.runs,
            clock=SystemClock(),
        )
        models = load_model_settings(environ={"HOMEOSTAT_LLM_BASE_URL": llm_server.base_url})

        def run(label: str) -> tuple[int, int, Counter]:
            fake.reset_calls()
            record = run_repo(REPO, ports, model_settings=models)
            assert record.api_calls == len(fake.calls), "adapter count and server count disagree"
            charged = sum(1 for c in fake.calls if c.status != 304)
            endpoints = Counter(
                f"{c.method} {_route(c.path)}{' (304)' if c.status == 304 else ''}" for c in fake.calls
            )
            print(
                f"{label}: {record.api_calls} requests, {charged} charged, {record.prs_created} PRs created"
            )
            return record.api_calls, charged, endpoints

        run("first listing, empty repo")
        idle, _, _ = run("idle repo (no eligible issue)")
        for i in range(ISSUES):
            title, body = issue(i)
            fake.add_issue(SLUG, title, body, ["robot"], "logger-bot")
        fake.add_issue(SLUG, "not for us", "x", ["bug"], "someone")
        new_total, _, new_endpoints = run(f"{ISSUES} new issues → {ISSUES} new PRs")
        first_look, first_charged, _ = run(f"{ISSUES} open PRs, first look at their CI (none reported yet)")
        steady, steady_charged, steady_endpoints = run(
            f"{ISSUES} open PRs, nothing changed since the last run"
        )
        for pr in fake.prs(SLUG):
            fake.add_check_run(SLUG, pr["head"]["sha"], "tests", "in_progress", None)
        moving, moving_charged, _ = run(f"{ISSUES} open PRs, CI started on each since the last run")

    per_new = new_total / ISSUES
    per_open = steady_charged / ISSUES
    print()
    print(f"idle repo:                      {idle} requests (target <= 2)  [{'ok' if idle <= 2 else 'OVER'}]")
    print(
        f"per issue, new PR:              {per_new:.1f} requests, run overhead included (target <= 8)"
        f"  [{'ok' if per_new <= 8 else 'OVER'}]"
    )
    print(
        f"per open PR per run, unchanged: {per_open:.2f} charged ({steady / ISSUES:.1f} requests, the rest free 304s)"
        f" (target <= 1.2)  [{'ok' if per_open <= 1.2 else 'OVER'}]"
    )
    print(
        f"per open PR, first look at CI:  {first_charged / ISSUES:.1f} charged ({first_look / ISSUES:.1f} requests)"
    )
    print(
        f"per open PR, CI moved:          {moving_charged / ISSUES:.1f} charged ({moving / ISSUES:.1f} requests)"
    )
    for title, endpoints in (("new-PR run", new_endpoints), ("unchanged open-PR run", steady_endpoints)):
        print(f"\n{title} by endpoint:")
        for endpoint, count in sorted(endpoints.items()):
            print(f"  {count:3d}  {endpoint}")


if __name__ == "__main__":
    main()
