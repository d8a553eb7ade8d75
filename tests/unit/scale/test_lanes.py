"""Lanes: repo runs grouped by the credential that pays, learning jobs per PR (homeostat_core/jobs.py)."""

from __future__ import annotations

import pytest

from homeostat_core.config import ConfigError, parse_config, repo_from_json
from homeostat_core.jobs import (
    LearningJob,
    enqueue_learning,
    learning_lane,
    parse_message,
    repo_lane,
    schedule_runs,
)


class ListQueue:
    def __init__(self):
        self.sent = []

    def send(self, body, *, group_id, dedup_id):
        self.sent.append((body, group_id, dedup_id))

    def send_many(self, messages):
        self.sent += [(m.body, m.group_id, m.dedup_id) for m in messages]


def _repo(slug: str, installation_id=None) -> dict:
    raw = {
        "slug": slug,
        "branch": "main",
        "max_prs_per_run": 1,
        "labels": ["fix"],
        "path_filters": {"include": ["src/"]},
    }
    if installation_id is not None:
        raw["installation_id"] = installation_id
    return raw


def test_repo_runs_are_grouped_by_installation_and_the_token_has_one_lane():
    # Given repos of two installations and two repos paid by the personal access token
    config = parse_config(
        {
            "version": 1,
            "repositories": [
                _repo("acme/a", 11),
                _repo("acme/b", 11),
                _repo("other/c", 22),
                _repo("me/d"),
                _repo("someone/e"),
            ],
        }
    )
    queue = ListQueue()
    # When a run is scheduled
    assert schedule_runs(config, "run-1", queue) == 5
    # Then each message sits in its credential's lane
    lanes = {body["repo"]: group for body, group, _ in queue.sent}
    assert lanes == {
        "acme/a": "installation:11",
        "acme/b": "installation:11",
        "other/c": "installation:22",
        "me/d": "token",
        "someone/e": "token",
    }
    # And the message names its repository only: the worker reads the installation (which
    # credential to use) from its own repos.yml, never from the message
    bodies = {body["repo"]: body for body, _, _ in queue.sent}
    assert parse_message(bodies["other/c"]).slug == "other/c"
    assert set(bodies["other/c"]) == {"kind", "runId", "repo"}
    # And deduplication ids differ per repo and stay within SQS's 128 characters
    dedup = [d for _, _, d in queue.sent]
    assert len(set(dedup)) == 5 and all(len(d) <= 128 for d in dedup)


@pytest.mark.parametrize("bad", [0, -3, "12", 1.5, True])
def test_a_bad_installation_id_is_a_config_error_naming_the_key(bad):
    with pytest.raises(ConfigError, match=r"repositories\[0\]\.installation_id"):
        parse_config({"version": 1, "repositories": [_repo("acme/a", bad)]})


def test_learning_jobs_get_one_lane_per_pr_never_a_repo_run_lane():
    queue = ListQueue()
    first = LearningJob(kind="pull_request_closed", repo="acme/a", head_sha="a" * 40, pr_number=7)
    other = LearningJob(kind="pull_request_closed", repo="acme/a", head_sha="b" * 40, pr_number=8)
    ci = LearningJob(kind="ci_completed", repo="acme/a", head_sha="c" * 40)
    enqueue_learning(first, "d-1", queue)
    enqueue_learning(other, "d-2", queue)
    enqueue_learning(first, "d-3", queue)
    enqueue_learning(ci, "d-4", queue)
    groups = [group for _, group, _ in queue.sent]
    assert groups == [
        "learning:acme/a#7",
        "learning:acme/a#8",
        "learning:acme/a#7",
        "learning:acme/a#" + "c" * 40,
    ]
    assert not {repo_lane(repo_from_json(_repo("acme/a", 11)))} & set(groups)


def test_a_long_repo_name_still_makes_a_valid_group_id():
    slug = "o" * 39 + "/" + "n" * 100
    job = LearningJob(kind="pull_request_closed", repo=slug, head_sha="a" * 40, pr_number=123456)
    lane = learning_lane(job)
    assert len(lane) <= 128 and lane.startswith("learning:")
    assert lane != learning_lane(
        LearningJob(kind="pull_request_closed", repo=slug, head_sha="a" * 40, pr_number=123457)
    )


def test_the_busiest_lanes_are_queued_first_and_each_lane_keeps_its_order():
    # Given a small installation listed first, a big one, and the token's repos
    config = parse_config(
        {
            "version": 1,
            "repositories": [
                _repo("small/a", 1),
                _repo("big/a", 2),
                _repo("me/a"),
                _repo("big/b", 2),
                _repo("big/c", 2),
                _repo("me/b"),
            ],
        }
    )
    queue = ListQueue()
    schedule_runs(config, "run-1", queue)
    # Then the lane with the most runs goes first (FIFO hands it out first), the smallest last,
    # and within a lane the repos.yml order holds
    assert [body["repo"] for body, _, _ in queue.sent] == [
        "big/a",
        "big/b",
        "big/c",
        "me/a",
        "me/b",
        "small/a",
    ]
