"""Maintainers steer Homeostat over the GitHub adapter (fake GitHub, real REST shapes): the signed
delivery through the webhook core, the job through the worker, the comment read back with
GET .../issues/comments/{id}, the author's permission from GET .../collaborators/{u}/permission,
a commit on top through the Git Data API (no force) and convertPullRequestToDraft."""

from __future__ import annotations

import json

import pytest

from homeostat_core.fixing.model_settings import load_model_settings
from homeostat_core.lifecycle import POLICY
from homeostat_core.local.payloads import issue_comment_payload, review_payload
from homeostat_core.pipeline import run_repo
from homeostat_core.steering.commands import EXPLAIN_MARKER, HELP_MARKER
from homeostat_core.webhook import receive_delivery, sign
from homeostat_core.worker import run_message
from tests.fakes.fake_github import FakeGitHub
from tests.reliability.harness import logger_issue
from tests.support.github_world import add_notebridge, notebridge_ports

TOKEN = "ghp_steering"
SLUG = "littlebearapps/notebridge"
SECRET = "steering-secret"
WRITER, STRANGER = "octo-maintainer", "drive-by"


class ListQueue:
    def __init__(self):
        self.sent: list[dict] = []

    def send(self, body, *, group_id, dedup_id):
        self.sent.append(body)


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setenv("HOMEOSTAT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    with FakeGitHub(tokens=[TOKEN]) as fake:
        add_notebridge(fake)
        repo, ports, state, model = notebridge_ports(fake, TOKEN, allowed_authors=("cloakpipe-bot",))
        fake.set_collaborator(SLUG, WRITER, "maintain")
        issue = logger_issue()
        fake.add_issue(SLUG, issue["title"], issue["body"], issue["labels"], issue["author"])
        settings = load_model_settings(environ={"HOMEOSTAT_LLM_BASE_URL": "http://127.0.0.1:9/v1"})
        (outcome,) = run_repo(repo, ports, model_settings=settings, env="dev").outcomes
        assert outcome["result"] == "pr_created"
        yield fake, repo, ports, state, model, ports.forge.get_pr(repo, outcome["pr"])


def deliver(world, event: str, payload: dict) -> list[dict]:
    fake, repo, ports, *_ = world
    body = json.dumps(payload).encode()
    headers = {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": f"d-{hash(body)}",
        "x-hub-signature-256": sign(SECRET, body),
    }
    queue = ListQueue()
    assert receive_delivery(headers, body, secret=SECRET, queue=queue).status == 202
    configured = {SLUG: repo}.get
    return [run_message(m, ports=ports, env="dev", configured=configured)["outcome"] for m in queue.sent]


def command(world, text: str, login: str = WRITER, association: str = "NONE") -> dict:
    fake, repo, *_, pr = world
    comment_id = fake.add_comment(SLUG, pr.number, text, login)
    payload = issue_comment_payload(repo, pr.number, comment_id, text, login, pr=pr, association=association)
    (outcome,) = deliver(world, "issue_comment", payload)
    return outcome


def homeostat_comments(world) -> list[str]:
    fake, *_, pr = world
    return [c["body"] for c in fake.comments(SLUG, pr.number) if c["user"]["login"] == fake.login]


def test_retry_pushes_on_top_without_force_and_puts_the_pr_back_to_draft(world):
    fake, repo, ports, state, model, pr = world
    ports.forge.mark_ready(repo, pr.number)
    fake.reset_calls()

    outcome = command(world, "/homeostat retry")

    assert outcome["result"] == "pr_updated"
    assert len(fake.commits_between(SLUG, "main", pr.branch)) == 2
    (row,) = state.attempts.list(SLUG)
    assert row.attempts == 2 and row.head_sha == fake.ref_sha(SLUG, pr.branch)
    assert fake.pull(SLUG, pr.number)["draft"] is True
    ref_updates = [c for c in fake.calls if c.method == "PATCH" and "/git/refs/heads/" in c.path]
    assert len(ref_updates) == 1 and ref_updates[0].status == 200
    assert fake.count("GET", "/collaborators/octo-maintainer/permission") == 1


def test_a_review_requesting_changes_is_answered_on_the_same_pr(world):
    fake, repo, ports, state, model, pr = world
    review = fake.add_review(SLUG, pr.number, "Return a copy, not the stored array.", WRITER)

    (outcome,) = deliver(world, "pull_request_review", review_payload(repo, pr, review, "", WRITER))

    assert outcome["action"] == "review" and outcome["result"] == "pr_updated"
    assert len(fake.commits_between(SLUG, "main", pr.branch)) == 2
    prompt = "\n".join(m["content"] for m in model.calls[-1]["messages"])
    assert "Return a copy, not the stored array." in prompt


def test_stop_closes_the_pr_deletes_the_branch_and_labels_the_report(world):
    fake, repo, ports, state, model, pr = world

    outcome = command(world, "/homeostat stop")

    assert outcome["action"] == "stop"
    assert fake.pull(SLUG, pr.number)["state"] == "closed"
    assert fake.ref_sha(SLUG, pr.branch) is None
    (row,) = state.attempts.list(SLUG)
    assert row.stage == "opted_out"
    assert repo.opt_out_label in fake.issue_labels(SLUG, row.opt_out_issue)


def test_explain_and_help_are_one_comment_each(world):
    command(world, "/homeostat explain")
    command(world, "/homeostat explain")
    command(world, "/homeostat frobnicate")

    texts = homeostat_comments(world)
    (explained,) = [t for t in texts if EXPLAIN_MARKER in t]
    assert "`src/lib/storage.js`" in explained and f"Attempts: 1 of {POLICY.max_attempts}" in explained
    assert len([t for t in texts if HELP_MARKER in t]) == 1


def test_owner_association_in_the_payload_is_not_write_access(world):
    fake, repo, ports, state, model, pr = world
    before = state.attempts.list(SLUG)
    comments = len(fake.comments(SLUG, pr.number))

    outcome = command(world, "/homeostat stop", login=STRANGER, association="OWNER")

    assert outcome == {"action": "ignored", "why": "the author has no write access"}
    assert fake.pull(SLUG, pr.number)["state"] == "open"
    assert state.attempts.list(SLUG) == before
    assert len(fake.comments(SLUG, pr.number)) == comments + 1  # the stranger's own, no reply
