"""Maintainers steer Homeostat from its PR, end to end on the local forge: a signed delivery through
the webhook core, the queued job through the worker's `run_message`, the local forge's comments,
reviews, collaborators and git history. Strangers and forged deliveries change nothing and get
no reply."""

from __future__ import annotations

import json

import pytest

from homeostat_core.lifecycle import POLICY
from homeostat_core.local.payloads import issue_comment_payload, review_comment_payload, review_payload
from homeostat_core.models import FileChange
from homeostat_core.steering.commands import EXPLAIN_MARKER, HELP_MARKER
from homeostat_core.webhook import receive_delivery, sign
from homeostat_core.worker import run_message
from tests.unit.lifecycle.world import make_world

SECRET = "steering-secret"
WRITER, STRANGER = "maintainer", "drive-by"


class ListQueue:
    def __init__(self):
        self.sent: list[tuple[dict, str, str]] = []

    def send(self, body, *, group_id, dedup_id):
        self.sent.append((body, group_id, dedup_id))


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMEOSTAT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    # the worker acts on repos.yml's notebridge: the same repository, the same allowed authors
    w = make_world(tmp_path, allowed_authors=("cloakpipe-bot",), daily_budget_usd=0.5)
    w.file_issue()
    w.run()
    assert w.stage() == "draft"
    return w


def deliver(world, event: str, payload: dict, *, signature: str | None = None) -> tuple[int, list[dict]]:
    """The delivery through the webhook core, then every job it queued through the worker."""
    body = json.dumps(payload).encode()
    headers = {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": f"d-{len(body)}-{hash(body)}",
        "x-hub-signature-256": signature if signature is not None else sign(SECRET, body),
    }
    queue = ListQueue()
    response = receive_delivery(headers, body, secret=SECRET, queue=queue)
    results = [run_message(message, ports=world.ports, env="dev") for message, _, _ in queue.sent]
    return response.status, results


def the_pr(world):
    (pr,) = world.prs()
    return pr


def command(world, text: str, login: str = WRITER, *, on_issue: int | None = None, association="NONE"):
    """`login` comments `text` on Homeostat's PR (or on issue `on_issue`) and GitHub delivers it."""
    pr = the_pr(world)
    number = on_issue if on_issue is not None else pr.number
    comment_id = world.forge.comment_as(world.repo, number, text, login)
    payload = issue_comment_payload(
        world.repo,
        number,
        comment_id,
        text,
        login,
        pr=pr if on_issue is None else None,
        association=association,
    )
    return deliver(world, "issue_comment", payload)


def comments_by_homeostat(world, number: int) -> list[str]:
    me = world.forge.whoami()
    return [c["body"] for c in world.forge.issue_comments(world.repo, number) if c.get("author") == me]


def outcome(results: list[dict]) -> dict:
    (result,) = results
    assert result["kind"] == "steering"
    return result["outcome"]


def test_a_writers_retry_adds_a_commit_on_the_same_pr_and_counts_an_attempt(world):
    pr = the_pr(world)
    before = world.attempt()
    world.forge.mark_ready(world.repo, pr.number)

    status, results = command(world, "/homeostat retry")

    assert status == 202
    assert outcome(results)["result"] == "pr_updated"
    after = world.attempt()
    assert after.attempts == before.attempts + 1
    assert after.stage == "draft"
    assert (the_pr(world).number, the_pr(world).state) == (pr.number, "open")
    assert world.forge.commit_count(world.repo, pr.branch) == 2
    assert world.forge.is_ancestor(world.repo, before.head_sha, after.head_sha)  # history kept
    assert world.forge.pr_record(world.repo, pr.number)["draft"] is True  # back to draft until CI


def test_a_changes_requested_review_is_answered_by_a_new_commit_with_the_review_in_the_prompt(world):
    pr = the_pr(world)
    world.forge.mark_ready(world.repo, pr.number)
    before = world.attempt()
    review = world.forge.review_as(
        world.repo, pr.number, "Log the missing key too, please.", WRITER, "changes_requested"
    )

    status, results = deliver(
        world, "pull_request_review", review_payload(world.repo, pr, review, "x", WRITER)
    )

    assert status == 202 and outcome(results)["action"] == "review"
    assert world.forge.commit_count(world.repo, pr.branch) == 2
    after = world.attempt()
    assert world.forge.is_ancestor(world.repo, before.head_sha, after.head_sha)
    assert world.forge.pr_record(world.repo, pr.number)["draft"] is True
    prompt = "\n".join(m["content"] for m in world.model.calls[-1]["messages"])
    assert "maintainer_instruction" in prompt and "Log the missing key too, please." in prompt
    # and the fix under review, so the answer builds on it: the recorded edits of the PR's commit
    assert "reviewed_fix" in prompt and "guard against a missing key (attempt 1)" in prompt


def test_a_review_comment_from_a_writer_is_answered_too(world):
    pr = the_pr(world)
    line = world.forge.review_comment_as(
        world.repo, pr.number, "Keep the original error message.", WRITER, "src/lib/storage.js", 6
    )

    _, results = deliver(
        world, "pull_request_review_comment", review_comment_payload(world.repo, pr, line, "x", WRITER)
    )

    assert outcome(results)["result"] == "pr_updated"
    assert world.forge.commit_count(world.repo, pr.branch) == 2
    prompt = "\n".join(m["content"] for m in world.model.calls[-1]["messages"])
    assert "src/lib/storage.js line 6" in prompt and "Keep the original error message." in prompt


def review_with_two_line_comments(world, pr, body: str, state: str) -> tuple[int, list[int]]:
    """A writer's review of `pr` with two line comments in it: (review id, line comment ids)."""
    review = world.forge.review_as(world.repo, pr.number, body, WRITER, state)
    lines = [
        world.forge.review_comment_as(world.repo, pr.number, text, WRITER, "src/lib/storage.js", n, review)
        for text, n in (("Keep the original error message.", 6), ("Name the key.", 8))
    ]
    return review, lines


def test_a_review_with_line_comments_is_one_attempt_whatever_the_number_of_deliveries(world):
    # GitHub delivers a review once for the review and once for each of its line comments
    pr = the_pr(world)
    before = world.attempt()
    review, lines = review_with_two_line_comments(world, pr, "Two things.", "changes_requested")

    outcomes = [
        outcome(deliver(world, "pull_request_review", review_payload(world.repo, pr, review, "x", WRITER))[1])
    ]
    for line in lines:
        payload = review_comment_payload(world.repo, pr, line, "x", WRITER)
        outcomes.append(outcome(deliver(world, "pull_request_review_comment", payload)[1]))

    assert [o["action"] for o in outcomes] == ["review", "ignored", "ignored"]
    assert world.attempt().attempts == before.attempts + 1
    assert world.forge.commit_count(world.repo, pr.branch) == 2
    prompt = "\n".join(m["content"] for m in world.model.calls[-1]["messages"])
    for words in (
        "Two things.",
        "src/lib/storage.js line 6",
        "Keep the original error message.",
        "Name the key.",
    ):
        assert words in prompt


def test_a_comment_only_reviews_line_comments_are_answered_once_by_the_first(world):
    pr = the_pr(world)
    before = world.attempt()
    review, lines = review_with_two_line_comments(world, pr, "", "commented")

    outcomes = [
        outcome(
            deliver(
                world,
                "pull_request_review_comment",
                review_comment_payload(world.repo, pr, line, "x", WRITER),
            )[1]
        )
        for line in reversed(lines)  # deliveries can come in any order
    ]

    assert sorted(o["action"] for o in outcomes) == ["ignored", "review"]
    assert world.attempt().attempts == before.attempts + 1
    prompt = "\n".join(m["content"] for m in world.model.calls[-1]["messages"])
    assert "Keep the original error message." in prompt and "Name the key." in prompt


def test_stop_is_the_opt_out_pr_closed_branch_deleted(world):
    pr = the_pr(world)

    _, results = command(world, "/homeostat stop")

    assert outcome(results)["action"] == "stop"
    assert world.forge.pr_record(world.repo, pr.number)["state"] == "closed"
    assert world.forge.branch_sha(world.repo, pr.branch) is None
    state = world.attempt()
    assert state.stage == "opted_out" and state.opted_out_at is not None
    assert world.repo.opt_out_label in world.forge.issue_labels(world.repo, state.opt_out_issue)
    # and a later run opens nothing for it
    world.later(100)
    world.run()
    assert [p.state for p in world.prs()] == ["closed"]


def test_explain_posts_one_comment_with_files_windows_tier_tries_and_cost(world):
    pr = the_pr(world)

    command(world, "/homeostat explain")
    command(world, "/homeostat explain")  # asked twice: the one comment is edited, not repeated

    explained = [c for c in comments_by_homeostat(world, pr.number) if EXPLAIN_MARKER in c]
    assert len(explained) == 1
    text = explained[0]
    assert "`src/lib/storage.js`" in text and "lines" in text
    assert f"Attempts: 1 of {POLICY.max_attempts}" in text
    assert "Tier:" in text and "Cost: $" in text


def test_a_command_on_a_linked_issue_acts_on_its_error(world):
    issue = world.attempt().opt_out_issue or world.forge.list_trigger_issues(world.repo)[0].number

    _, results = command(world, "/homeostat explain", on_issue=issue)

    assert outcome(results)["action"] == "explain"
    assert any(EXPLAIN_MARKER in c for c in comments_by_homeostat(world, issue))


def test_an_unknown_command_from_a_writer_gets_one_help_comment(world):
    pr = the_pr(world)

    command(world, "/homeostat rebase")
    command(world, "/homeostat please")

    help_comments = [c for c in comments_by_homeostat(world, pr.number) if HELP_MARKER in c]
    assert len(help_comments) == 1
    assert all(f"/homeostat {word}" in help_comments[0] for word in ("retry", "stop", "explain"))


def test_the_attempt_cap_holds_for_retries(world):
    pr = the_pr(world)
    for _ in range(POLICY.max_attempts - 1):
        _, results = command(world, "/homeostat retry")
        assert outcome(results)["result"] == "pr_updated"
    commits = world.forge.commit_count(world.repo, pr.branch)
    calls = len(world.model.calls)

    _, results = command(world, "/homeostat retry")

    assert outcome(results)["result"] == "refused"
    assert world.attempt().attempts == POLICY.max_attempts
    assert world.forge.commit_count(world.repo, pr.branch) == commits
    assert len(world.model.calls) == calls  # no model call past the cap


def nothing_happened(world, before_comments: int, before_state) -> None:
    pr = the_pr(world)
    assert len(world.forge.issue_comments(world.repo, pr.number)) == before_comments
    assert world.attempt() == before_state
    assert world.forge.commit_count(world.repo, pr.branch) == 1
    assert pr.state == "open"


@pytest.mark.parametrize(
    "text", ["/homeostat retry", "/homeostat stop", "/homeostat explain", "/homeostat nope"]
)
def test_a_strangers_command_changes_nothing_and_gets_no_reply(world, text):
    comments, state = len(world.forge.issue_comments(world.repo, the_pr(world).number)), world.attempt()

    status, results = command(world, text, login=STRANGER)

    assert status == 202 and outcome(results) == {
        "action": "ignored",
        "why": "the author has no write access",
    }
    # one comment more: the stranger's own
    nothing_happened(world, comments + 1, state)


def test_author_association_owner_in_the_payload_does_not_make_a_writer(world):
    world.forge.set_collaborator(world.repo, "claims-owner", "read")
    comments, state = len(world.forge.issue_comments(world.repo, the_pr(world).number)), world.attempt()

    _, results = command(world, "/homeostat stop", login="claims-owner", association="OWNER")

    assert outcome(results)["action"] == "ignored"
    nothing_happened(world, comments + 1, state)


def test_a_forged_signature_queues_nothing(world):
    pr = the_pr(world)
    comment_id = world.forge.comment_as(world.repo, pr.number, "/homeostat stop", WRITER)
    payload = issue_comment_payload(world.repo, pr.number, comment_id, "/homeostat stop", WRITER, pr=pr)
    comments, state = len(world.forge.issue_comments(world.repo, pr.number)), world.attempt()

    status, results = deliver(world, "issue_comment", payload, signature=sign("not-the-secret", b"{}"))

    assert (status, results) == (401, [])
    nothing_happened(world, comments, state)


def test_a_payload_that_lies_about_the_author_or_text_is_read_back_from_the_forge(world):
    pr = the_pr(world)
    # a stranger's harmless comment, delivered as if the maintainer had said "stop"
    comment_id = world.forge.comment_as(world.repo, pr.number, "/homeostat stop", STRANGER)
    payload = issue_comment_payload(world.repo, pr.number, comment_id, "/homeostat stop", WRITER, pr=pr)
    comments, state = len(world.forge.issue_comments(world.repo, pr.number)), world.attempt()

    _, results = deliver(world, "issue_comment", payload)

    assert outcome(results)["why"] == "the author has no write access"
    nothing_happened(world, comments, state)


def test_an_approving_review_and_a_plain_comment_queue_nothing(world):
    pr = the_pr(world)
    review = world.forge.review_as(world.repo, pr.number, "LGTM", WRITER, "approved")
    assert deliver(
        world, "pull_request_review", review_payload(world.repo, pr, review, "LGTM", WRITER, state="approved")
    ) == (202, [])
    comment_id = world.forge.comment_as(world.repo, pr.number, "thanks!", WRITER)
    payload = issue_comment_payload(world.repo, pr.number, comment_id, "thanks!", WRITER, pr=pr)
    assert deliver(world, "issue_comment", payload) == (202, [])


def test_the_daily_budget_holds_for_a_retry(world):
    pr = the_pr(world)
    day = world.clock.now().date()
    spent = world.state.budgets.spent_usd(world.repo.slug, day)
    world.state.budgets.reserve_usd(world.repo.slug, day, 0.5 - spent, 0.5)  # the day's budget is spent
    calls, before = len(world.model.calls), world.attempt()

    _, results = command(world, "/homeostat retry")

    assert outcome(results)["result"] == "refused" and "daily_budget_usd" in outcome(results)["why"]
    assert len(world.model.calls) == calls and world.attempt().attempts == before.attempts
    assert world.forge.commit_count(world.repo, pr.branch) == 1
    (reply,) = [c for c in comments_by_homeostat(world, pr.number) if "not starting a new attempt" in c]
    assert "daily_budget_usd" in reply


def test_a_writers_review_of_someone_elses_pr_on_a_homeostat_branch_name_is_ignored(world):
    # a person's PR whose branch looks like Homeostat's: not recorded, not Homeostat's own
    branch = "homeostat/fix-000000000000"
    world.forge.commit_as(world.repo, branch, "someone", [FileChange("src/lib/storage.js", "// theirs\n")])
    theirs = world.forge.open_pr_as(world.repo, "someone", branch, "A change", "")
    pr = world.forge.get_pr(world.repo, theirs)
    review = world.forge.review_as(world.repo, theirs, "Please fix this too.", WRITER, "changes_requested")
    calls = len(world.model.calls)

    _, results = deliver(world, "pull_request_review", review_payload(world.repo, pr, review, "x", WRITER))

    assert outcome(results)["action"] == "ignored"
    assert world.forge.branch_sha(world.repo, branch) == pr.head_sha
    assert world.forge.issue_comments(world.repo, theirs) == [] and len(world.model.calls) == calls
