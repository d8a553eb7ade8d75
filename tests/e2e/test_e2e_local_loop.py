"""The demo story, asserted: real handlers, moto server, local forge, scripted model.

One test walks the whole loop because each step depends on the state the previous one left,
exactly as `make demo` does.
"""

from __future__ import annotations

import pytest

from homeostat_core.commands._issue_file import read_issue_file
from homeostat_core.config import default_config_path, load_config
from homeostat_core.local.payloads import pull_request_closed_payload
from homeostat_core.local.runner import EXAMPLES, LocalStack

pytestmark = pytest.mark.xdist_group("e2e")

CMF = "littlebearapps/convert-my-file"
NB = "littlebearapps/notebridge"
PK = "littlebearapps/palette-kit"
CHEAP_MODEL = "deepseek-chat"


def _records_by_repo(stack) -> dict:
    from homeostat_core.adapters.dynamo import DynamoState
    from homeostat_core.run_report import latest_per_repo
    from homeostat_core.settings import get_settings

    return {r.repo: r for r in latest_per_repo(DynamoState.from_settings(get_settings()).runs.list())}


def test_demo_story(tmp_path):
    config = load_config(default_config_path())
    repos = {r.slug: r for r in config.repositories}
    state = tmp_path / "state"

    # Given the sample repos and logger issues, when the scheduler and worker run once (dev)
    with LocalStack(state, env="dev", echo=lambda _: None) as stack:
        stack.seed_examples(config)
        scheduled = stack.schedule()
        results = stack.drain()
        forge = stack.forge()
        records = _records_by_repo(stack)
        requests = list(stack._scripted.requests)

        # Then every repo ran once, from a message the worker did not fail
        assert scheduled["scheduled"] == 3
        assert [r["failed"] for r in results] == [False, False, False]

        # PR counts per repo stay within max_prs_per_run
        for slug, repo in repos.items():
            open_prs = forge.list_prs(repo, state="open")
            assert len(open_prs) <= repo.max_prs_per_run, slug

        # convert-my-file: the Chrome and Firefox reports of one bug share one PR that links both
        cmf = repos[CMF]
        cmf_prs = forge.list_prs(cmf, state="open")
        assert len(cmf_prs) == 2
        linked = [pr for pr in cmf_prs if "#1" in pr.body and "#2" in pr.body]
        assert len(linked) == 1
        # ... the third distinct bug is deferred by the PR budget, not dropped
        assert records[CMF].prs_created == 2
        assert len(records[CMF].deferred_issues) == 1
        # ... the garbled issue is labelled unparseable with exactly one comment
        assert "homeostat-unparseable" in forge.issue_labels(cmf, 5)
        assert len(forge.issue_comments(cmf, 5)) == 1

        # notebridge: the fix outside path_filters is rejected with a reason on the issue
        nb = repos[NB]
        assert records[NB].validation_rejected == 1
        assert "homeostat-rejected" in forge.issue_labels(nb, 1)
        assert len(forge.issue_comments(nb, 1)) == 1
        assert not any("lib/analytics.js" in forge.pr_diff(nb, pr.number) for pr in forge.list_prs(nb))

        # The sensitive file never reached the cheap tier, and did reach the strong one
        session_requests = [r for r in requests if "src/auth/session.js" in str(r["body"]["messages"])]
        assert session_requests
        assert all(r["body"]["model"] != CHEAP_MODEL for r in session_requests)

        # When the worker runs again at once, open PRs wait for CI and people; the rejected
        # issue (labelled) and the other attempted fingerprints are not attempted again
        stack.schedule()
        stack.drain()
        rerun = _records_by_repo(stack)
        waiting = [o for o in rerun[NB].outcomes if o["result"] in ("waiting", "cooldown")]
        assert len(waiting) >= 2
        assert rerun[NB].prs_created == 0 and rerun[NB].prs_updated == 0
        # ... the deferred convert-my-file bug now gets its PR; nothing else is opened
        assert rerun[CMF].prs_created == 1
        assert len(forge.issue_comments(cmf, 5)) == 1  # unparseable answered once only

    # When a maintainer merges notebridge's PRs in dev, nothing is extracted
    with LocalStack(state, env="dev", echo=lambda _: None) as stack:
        from homeostat_core.adapters.dynamo import DynamoState
        from homeostat_core.settings import get_settings

        forge = stack.forge()
        cmf_pr = forge.list_prs(repos[CMF], state="open")[0]
        merged = forge.merge_pr(repos[CMF], cmf_pr.number)
        assert (
            stack.deliver_webhook(
                "pull_request", pull_request_closed_payload(repos[CMF], merged, merged=True)
            )["status"]
            == 202
        )
        stack.drain()
        assert DynamoState.from_settings(get_settings()).patterns.all() == []

    # When notebridge's PRs are merged in production, each merged fix becomes a pattern
    with LocalStack(state, env="production", echo=lambda _: None) as stack:
        forge = stack.forge()
        for pr in forge.list_prs(repos[NB], state="open"):
            forge.set_check(repos[NB], pr.head_sha, "ci", "success")  # the repository's CI passed
            merged = forge.merge_pr(repos[NB], pr.number)
            stack.deliver_webhook("pull_request", pull_request_closed_payload(repos[NB], merged, merged=True))
        stack.drain()
        patterns = DynamoState.from_settings(get_settings()).patterns.all()
        assert {p.file_path for p in patterns} >= {"src/lib/storage.js"}

        # And a new occurrence of the same bug in palette-kit (which ships the same file)
        issue = read_issue_file(EXAMPLES / "later" / "palette-kit-notes-json.md")
        number = forge.add_issue(repos[PK], issue["title"], issue["body"], issue["labels"], issue["author"])
        calls_before = len(stack._scripted.requests)
        stack.schedule()
        stack.drain()
        records = _records_by_repo(stack)

        # Then the pattern, learned from one merge, is on probation: the model is asked and shown
        # it as a hint; it is not applied at $0 (tests/unit/patterns/test_patterns_probation.py
        # shows it applied once verified in production)
        assert records[PK].pattern_hits == 0
        outcome = next(o for o in records[PK].outcomes if number in o.get("issues", []))
        assert outcome["result"] == "pr_created" and outcome["source"] == "ai"
        storage_pattern = next(p for p in patterns if p.file_path == "src/lib/storage.js")
        assert outcome["patternHint"] == storage_pattern.pattern_id and "probation" in outcome["hintWhy"]
        new_prompts = [str(r["body"]["messages"]) for r in stack._scripted.requests[calls_before:]]
        assert any("src/lib/storage.js" in p for p in new_prompts)

    # And the operator commands read the same local state
    import json

    from homeostat_core.cli import main

    assert main(["report", "--jsonl", "--state", str(state), "--repo", PK]) == 0
    assert main(["attempts", "list", NB, "--state", str(state)]) == 0
    export = tmp_path / "library.json"
    assert main(["patterns", "export", str(export), "--state", str(state)]) == 0
    library = json.loads(export.read_text())
    assert library["metadata"]["totalPatterns"] == len(library["patterns"]) >= 1
    storage = next(p for p in library["patterns"] if p["filePath"] == "src/lib/storage.js")
    assert "+  return raw ? JSON.parse(raw) : [];" in storage["patch"]


def test_a_closed_local_stack_leaves_no_state_clients_behind(tmp_path):
    # Each stack has its own endpoint, so its PynamoDB models (each with a botocore session of
    # ~50 MB) are its own: the demo's memory grew by that much per step until they went with it.
    from homeostat_core.adapters import dynamo

    state = tmp_path / "state"
    for _ in range(2):
        with LocalStack(state, env="dev", echo=lambda _: None) as stack:
            _records_by_repo(stack)
            assert dynamo.make_models.cache_info().currsize >= 1
        assert dynamo.make_models.cache_info().currsize == 0
