"""GitHub-only behaviour under the contract: retries, rate limits, conditional requests, auth, shapes."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from homeostat_core.adapters.github_forge import GitHubForge
from homeostat_core.models import FileChange
from homeostat_core.ports import ForgeError
from tests.contract.conftest import FILES, REPO, SLUG, TOKEN, Harness, fast_retry
from tests.fakes.fake_github import SECONDARY_RATE_LIMIT_MESSAGE, FakeGitHub


def _forge(url: str, **kwargs) -> GitHubForge:
    return GitHubForge.from_token(
        TOKEN, url, retry=fast_retry(), seconds_between_requests=None, seconds_between_writes=None, **kwargs
    )


def test_survives_injected_500s_and_counts_every_attempt(github_harness: Harness):
    h, fake = github_harness, github_harness.fake
    fake.inject(500, 2)
    assert h.forge.read_file(REPO, "src/app.js") == FILES["src/app.js"]
    assert [c.status for c in fake.calls] == [500, 500, 200]
    assert h.forge.api_calls == len(fake.calls) == 3


def test_survives_429_and_honours_retry_after(github_harness: Harness):
    h, fake = github_harness, github_harness.fake
    fake.inject(429, 1, {"Retry-After": "1"})
    started = time.monotonic()
    issues = h.forge.list_trigger_issues(REPO)
    assert issues == []
    assert time.monotonic() - started >= 0.9  # waited as told, not the 1 ms test backoff
    assert [c.status for c in fake.calls] == [429, 200]


@pytest.mark.parametrize("headers", [{}, {"Retry-After": "0"}])
def test_survives_secondary_rate_limit_403(github_harness: Harness, headers):
    h, fake = github_harness, github_harness.fake
    fake.inject(403, 2, headers, message=SECONDARY_RATE_LIMIT_MESSAGE)
    pr, created = h.forge.upsert_pr(REPO, "f00d", [FileChange("src/app.js", "x\n")], "fix", "body")
    assert created and h.prs()[0]["number"] == pr.number
    assert [c.status for c in fake.calls[:3]] == [403, 403, 200]
    assert h.forge.api_calls == len(fake.calls)


def test_plain_403_is_not_retried(github_harness: Harness):
    h, fake = github_harness, github_harness.fake
    fake.inject(403, 1, message="Resource not accessible by integration")
    with pytest.raises(ForgeError, match="403"):
        h.forge.list_trigger_issues(REPO)
    assert len(fake.calls) == 1


def test_exhausted_retries_raise_forge_error_without_secrets(github_harness: Harness, caplog):
    h, fake = github_harness, github_harness.fake
    caplog.set_level(logging.DEBUG)
    fake.inject(502, 50)
    with pytest.raises(ForgeError) as excinfo:
        h.forge.find_open_pr(REPO, "abc")
    assert len(fake.calls) == 5  # 1 + 4 retries
    assert TOKEN not in str(excinfo.value) and TOKEN not in caplog.text
    assert TOKEN not in repr(h.forge)


def test_bad_token_is_a_forge_error(github_harness: Harness):
    forge = GitHubForge.from_token(
        "wrong-token", github_harness.fake.base_url, retry=fast_retry(), seconds_between_requests=None
    )
    with pytest.raises(ForgeError, match="401"):
        forge.read_file(REPO, "src/app.js")


def test_idle_repo_second_listing_is_a_304_and_changes_are_seen(github_harness: Harness):
    h, fake = github_harness, github_harness.fake
    first = h.add_issue("TypeError", "stack", ["robot"], "logger-bot")
    assert [i.number for i in h.forge.list_trigger_issues(REPO)] == [first]

    fake.reset_calls()
    assert [i.number for i in h.forge.list_trigger_issues(REPO)] == [first]
    [call] = fake.calls
    assert call.status == 304 and call.query["labels"] == "robot" and call.query["state"] == "open"

    fake.set_issue(SLUG, first, labels=["robot", "do-not-fix"])
    assert h.forge.list_trigger_issues(REPO) == []
    assert fake.calls[-1].status == 200


def test_etag_cache_survives_across_adapter_instances(github_harness: Harness):
    fake = github_harness.fake
    github_harness.add_issue("TypeError", "stack", ["robot"], "logger-bot")
    cache: dict = {}
    before = _forge(fake.base_url, etag_cache=cache).list_trigger_issues(REPO)
    json.dumps(cache)  # the worker may persist it as JSON

    fake.reset_calls()
    fresh = _forge(fake.base_url, etag_cache=json.loads(json.dumps(cache)))
    assert fresh.list_trigger_issues(REPO) == before
    assert [c.status for c in fake.calls] == [304]
    assert fresh.api_calls == 1


def test_listing_follows_pagination_and_each_page_is_read_conditionally(github_harness: Harness):
    fake = github_harness.fake
    numbers = [github_harness.add_issue(f"E{i}", "s", ["robot"], "logger-bot") for i in range(3)]
    forge = GitHubForge.from_token(
        TOKEN, fake.base_url, retry=fast_retry(), per_page=2, seconds_between_requests=None
    )
    fake.reset_calls()
    assert sorted(i.number for i in forge.list_trigger_issues(REPO)) == numbers
    assert [c.query.get("page", "1") for c in fake.calls] == ["1", "2"]
    # Nothing changed: each page is a free 304 and the next-page link comes from the cache
    assert sorted(i.number for i in forge.list_trigger_issues(REPO)) == numbers
    assert [(c.query.get("page", "1"), c.status) for c in fake.calls[2:]] == [("1", 304), ("2", 304)]
    # A change on page two only: page one still answers 304, page two the change
    oldest = min(numbers)  # listed newest first: the oldest issue is on page two
    fake.set_issue(SLUG, oldest, labels=["robot", "do-not-fix"])
    assert sorted(i.number for i in forge.list_trigger_issues(REPO)) == sorted(set(numbers) - {oldest})
    assert [(c.query.get("page", "1"), c.status) for c in fake.calls[4:]] == [("1", 304), ("2", 200)]


def test_open_pr_with_issue_comment_skips_comment_listing_when_issue_has_none(github_harness: Harness):
    h, fake = github_harness, github_harness.fake
    issue = h.add_issue("TypeError", "stack", ["robot"], "logger-bot")
    h.forge.list_trigger_issues(REPO)
    fake.reset_calls()
    h.forge.comment_on_issue(REPO, issue, "PR opened", "<!-- m -->")
    assert [(c.method, c.status) for c in fake.calls] == [("POST", 201)]


def test_from_app_uses_an_installation_token(tmp_path: Path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with FakeGitHub(tokens=[]) as fake:
        fake.add_repo(SLUG, "main", FILES)
        fake.configure_app(123, public)
        fake.add_installation(42, [SLUG])
        forge = GitHubForge.from_app(
            123, pem, 42, fake.base_url, retry=fast_retry(), seconds_between_requests=None
        )
        assert forge.read_file(REPO, "src/app.js") == FILES["src/app.js"]
        assert [(c.method, c.path) for c in fake.calls] == [
            ("POST", "/app/installations/42/access_tokens"),
            ("GET", "/repos/acme/widget/contents/src/app.js"),
        ]
        # an installation token may not call GET /user: the App's own JWT asks GET /app, once
        assert forge.whoami() == "homeostat[bot]" == forge.whoami(REPO)
        assert [(c.method, c.path) for c in fake.calls][2:] == [("GET", "/app")]


# --- the fake speaks GitHub's shapes ---------------------------------------------------------


def _recorded_bodies(shared_data: Path, name: str) -> list[tuple[str, str, object]]:
    """(verb, path, body) of each exchange in a PyGithub replay recording."""
    lines = (shared_data / "github-api" / name).read_text().split("\n")
    out = []
    for i, line in enumerate(lines):
        if line in ("http", "https") and i + 9 < len(lines) and lines[i + 9].startswith(("{", "[")):
            out.append((lines[i + 1], lines[i + 4], json.loads(lines[i + 9])))
    return out


def _keys(body) -> set[str]:
    return set((body[0] if isinstance(body, list) else body).keys())


@pytest.mark.parametrize(
    ("recording", "verb", "fake_path"),
    [
        ("PyGithub.Repository.testCreatePull.txt", "POST", "pull"),
        ("PyGithub.Repository.testGetPulls.txt", "GET", "pull"),
        ("PyGithub.Issue.testCreateComment.txt", "POST", "comment"),
        ("PyGithub.Repository.testCreateGitRef.txt", "POST", "ref"),
        ("PyGithub.Repository.testGetBranch.txt", "GET", "branch"),
        ("PyGithub.Repository.testGetContentsWithRef.txt", "GET", "contents"),
        ("PyGithub.Issue50.testAddLabelToIssue.txt", "POST", "labels"),
    ],
)
def test_fake_responses_carry_the_recorded_keys(
    shared_data, github_harness: Harness, recording, verb, fake_path
):
    h, fake = github_harness, github_harness.fake
    issue = h.add_issue("TypeError", "stack", ["robot"], "logger-bot")
    pr, _ = h.forge.upsert_pr(REPO, "abc", [FileChange("src/app.js", "x\n")], "fix", "body")
    h.forge.comment_on_issue(REPO, issue, "hi", "<!-- m -->")
    import requests

    paths = {
        "pull": f"/repos/{SLUG}/pulls/{pr.number}",
        "comment": f"/repos/{SLUG}/issues/{issue}/comments",
        "ref": f"/repos/{SLUG}/git/ref/heads/homeostat/fix-abc",
        "branch": f"/repos/{SLUG}/branches/main",
        "contents": f"/repos/{SLUG}/contents/src/app.js?ref=main",
        "labels": f"/repos/{SLUG}/issues/{issue}/labels",
    }
    ours = requests.get(
        fake.base_url + paths[fake_path], headers={"Authorization": f"token {TOKEN}"}, timeout=5
    )
    recorded = [body for v, _, body in _recorded_bodies(shared_data, recording) if v == verb]
    assert recorded, f"no {verb} exchange in {recording}"
    missing = _keys(recorded[-1]) - _keys(ours.json())
    assert missing <= {"closed_by"}, missing  # closed_by: only on single-issue GETs


@pytest.mark.parametrize(
    ("payload", "key", "kind"),
    [
        ("issues.opened.payload.json", "issue", "issue"),
        ("pull_request.opened.payload.json", "pull_request", "pull"),
    ],
)
def test_fake_issue_and_pull_shapes_match_webhook_payloads(
    shared_data, github_harness: Harness, payload, key, kind
):
    h, fake = github_harness, github_harness.fake
    issue = h.add_issue("TypeError", "stack", ["robot"], "logger-bot")
    pr, _ = h.forge.upsert_pr(REPO, "abc", [FileChange("src/app.js", "x\n")], "fix", "body")
    import requests

    path = f"/repos/{SLUG}/issues/{issue}" if kind == "issue" else f"/repos/{SLUG}/pulls/{pr.number}"
    ours = requests.get(fake.base_url + path, headers={"Authorization": f"token {TOKEN}"}, timeout=5).json()
    real = json.loads((shared_data / "webhooks" / payload).read_text())[key]
    assert set(real) - set(ours) <= {"performed_via_github_app"}
    assert set(real["user"]) <= set(ours["user"])
    if kind == "pull":
        assert set(real["head"]) <= set(ours["head"])


# --- identity, checks and GitHub's refusals -----------------------------------------------------


def test_whoami_asks_github_once(github_harness: Harness):
    h, fake = github_harness, github_harness.fake
    assert h.forge.whoami() == fake.login == h.forge.whoami()
    h.forge.find_open_pr(REPO, "abc")
    assert fake.count("GET", "/user") == 1


def test_a_ruleset_refusing_the_branch_is_reported_as_such(github_harness: Harness):
    h, fake = github_harness, github_harness.fake
    fake.add_ruleset(SLUG, "refs/heads/homeostat/*", "Cannot create ref due to creations being restricted.")
    with pytest.raises(ForgeError) as refused:
        h.forge.upsert_pr(REPO, "abc", [FileChange("src/app.js", "x\n")], "fix", "body")
    message = str(refused.value)
    assert "repository rules refused the push" in message
    assert "creations being restricted" in message
    assert "Reference does not exist" not in message
    assert h.prs() == []


def test_a_ruleset_refusing_the_update_is_reported_as_such(github_harness: Harness):
    h, fake = github_harness, github_harness.fake
    pr, _ = h.forge.upsert_pr(REPO, "abc", [FileChange("src/app.js", "x\n")], "fix", "body")
    fake.add_ruleset(SLUG, "refs/heads/homeostat/*", "Cannot force-push to this branch")
    with pytest.raises(ForgeError, match="repository rules refused the push: Cannot force-push"):
        h.forge.upsert_pr(
            REPO, "abc", [FileChange("src/app.js", "y\n")], "fix", "body", expected_head=pr.head_sha
        )
    assert fake.ref_sha(SLUG, pr.branch) == pr.head_sha


def test_a_file_over_one_megabyte_is_read_through_the_blob_api(github_harness: Harness):
    h, fake = github_harness, github_harness.fake
    big = "// generated\n" + "x = 1;\n" * 200_000  # ~1.4 MB
    fake.push_commit(SLUG, "main", {"src/bundle.js": big})
    fake.reset_calls()
    assert h.forge.read_file(REPO, "src/bundle.js") == big
    assert [c.path.rsplit("/", 2)[-2] for c in fake.calls] == ["src", "blobs"]  # contents said "none"


def test_check_run_without_summary_is_described_by_name_conclusion_and_annotations(github_harness: Harness):
    h, fake = github_harness, github_harness.fake
    pr, _ = h.forge.upsert_pr(REPO, "abc", [FileChange("src/app.js", "x\n")], "fix", "body")
    fake.add_check_run(SLUG, pr.head_sha, "eslint", "completed", "failure", None, ["no-undef: x", "semi"])
    fake.add_check_run(SLUG, pr.head_sha, "build", "completed", "timed_out", None)
    result = h.forge.get_check_results(REPO, pr.head_sha)
    assert result.state == "failure"
    assert "eslint: failure, 2 annotations: no-undef: x; semi" in result.summary
    assert "build: timed_out, 0 annotations" in result.summary
    assert fake.count("GET", "/annotations") == 1  # only where there are annotations to read


def test_statuses_are_paged_and_a_failing_status_on_page_two_counts(github_harness: Harness):
    h, fake = github_harness, github_harness.fake
    pr, _ = h.forge.upsert_pr(REPO, "abc", [FileChange("src/app.js", "x\n")], "fix", "body")
    for n in range(101):
        fake.set_status(SLUG, pr.head_sha, "success", f"ci/{n:03}")
    fake.set_status(SLUG, pr.head_sha, "error", "ci/zz-deploy", "deploy preview broke")
    fake.reset_calls()
    result = h.forge.get_check_results(REPO, pr.head_sha)
    assert (result.state, result.checks) == ("failure", 102)
    assert "ci/zz-deploy: deploy preview broke" in result.summary
    assert [c.query.get("page", "1") for c in fake.calls if c.path.endswith("/status")] == ["1", "2"]


def test_fake_pages_with_real_link_headers(github_harness: Harness):
    import requests

    h, fake = github_harness, github_harness.fake
    pr, _ = h.forge.upsert_pr(REPO, "abc", [FileChange("src/app.js", "x\n")], "fix", "body")
    for n in range(31):
        fake.add_check_run(SLUG, pr.head_sha, f"job-{n}", "completed", "success")
    auth = {"Authorization": f"token {TOKEN}"}
    url = f"{fake.base_url}/repos/{SLUG}/commits/{pr.head_sha}/check-runs"
    first = requests.get(url, headers=auth, timeout=5)
    assert len(first.json()["check_runs"]) == 30 and first.json()["total_count"] == 31  # GitHub's default
    assert set(first.links) == {"next", "last"}
    second = requests.get(first.links["next"]["url"], headers=auth, timeout=5)
    assert len(second.json()["check_runs"]) == 1 and set(second.links) == {"prev", "first"}


def test_fake_refuses_commits_without_message_and_trees_without_mode_or_type(github_harness: Harness):
    import requests

    fake = github_harness.fake
    auth = {"Authorization": f"token {TOKEN}"}
    git = f"{fake.base_url}/repos/{SLUG}/git"
    bad_tree = requests.post(
        f"{git}/trees", json={"tree": [{"path": "a.js", "content": "x"}]}, headers=auth, timeout=5
    )
    assert bad_tree.status_code == 422
    tree = requests.post(
        f"{git}/trees",
        json={"tree": [{"path": "a.js", "mode": "100644", "type": "blob", "content": "x"}]},
        headers=auth,
        timeout=5,
    )
    assert tree.status_code == 201
    no_message = requests.post(
        f"{git}/commits", json={"tree": tree.json()["sha"], "parents": []}, headers=auth, timeout=5
    )
    assert no_message.status_code == 422


def test_empty_bodies_come_back_null_and_are_read_as_empty(github_harness: Harness):
    import requests

    h, fake = github_harness, github_harness.fake
    issue = h.add_issue("TypeError", "", ["robot"], "logger-bot")
    raw = requests.get(
        f"{fake.base_url}/repos/{SLUG}/issues/{issue}", headers={"Authorization": f"token {TOKEN}"}, timeout=5
    )
    assert raw.json()["body"] is None
    assert h.forge.get_issue(REPO, issue).body == ""
    [listed] = h.forge.list_trigger_issues(REPO)
    assert listed.body == ""
    theirs = fake.add_pull(SLUG, "feature/x", "eve", files={"src/app.js": "y\n"})
    assert h.forge.get_pr(REPO, theirs).body == ""


def test_a_ruleset_refusing_branch_deletion_is_not_taken_for_already_gone(github_harness: Harness):
    h, fake = github_harness, github_harness.fake
    pr, _ = h.forge.upsert_pr(REPO, "abc", [FileChange("src/app.js", "x\n")], "fix", "body")
    h.forge.close_pr(REPO, pr.number)
    fake.add_ruleset(SLUG, "refs/heads/homeostat/*", "Cannot delete this protected ref.")
    with pytest.raises(ForgeError, match="repository rules refused the push: Cannot delete"):
        h.forge.delete_branch(REPO, pr.branch)
    assert fake.ref_sha(SLUG, pr.branch) == pr.head_sha
