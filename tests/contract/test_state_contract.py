"""One contract for the state ports, run against the in-memory adapter and DynamoDB (moto).

Every case asserts what the core relies on: conditional claims, optimistic locking, the pattern
indexes, atomic budgets in decimal arithmetic, run listing, the lifecycle fields round-tripping
and rows written before those fields loading with their defaults. Races run in threads against
the memory store (its lock is the atomicity under test) and one after another against moto in
process (whose condition checks are not thread-safe; tests/integration/state races threads over
a serialized moto server).
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from homeostat_core import lifecycle
from homeostat_core.adapters.dynamo import DynamoState
from homeostat_core.adapters.memory_state import MemoryState
from homeostat_core.attempts import to_utc_iso
from homeostat_core.models import MAX_APPLIED_FACTS, AttemptState, FileEdit, Pattern, PrRecord, RunRecord
from homeostat_core.patterns import pattern_id_for
from homeostat_core.ports import BudgetExceeded, ConflictError
from homeostat_core.settings import Settings
from tests.support.moto_server import fresh_tables

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DAY = NOW.date()
REPO = "acme/ext"
EDITS = (FileEdit("src/popup.js", "items.map(render)", "(items ?? []).map(render)"),)


@dataclass
class StateHarness:
    kind: str
    state: DynamoState | MemoryState
    # writes a row the way code from before the lifecycle fields did (raw item / old fields only)
    write_legacy_attempt: Callable[[str, str], None]
    write_legacy_pattern: Callable[[str, str], None]
    concurrent: bool  # whether races may run in real threads against this adapter


def _legacy_attempt_fields() -> dict[str, Any]:
    return {
        "attempts": 2,
        "last_attempt_at": NOW,
        "backoff_until": NOW + timedelta(hours=48),
        "last_result": "pending",
        "pr_number": 7,
        "tier": 1,
        "cost_usd": 0.01,
        "edits": EDITS,
        "error_type": "TypeError",
        "file_path": "src/popup.js",
    }


@pytest.fixture(scope="module")
def moto_tables() -> Iterator[Settings]:
    """One set of tables in an in-process moto for the module (creating them is the slow part)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            yield fresh_tables(None)


def _emptied(settings: Settings) -> Settings:
    """The module's tables with every item deleted, so each test starts from nothing."""
    client = boto3.client("dynamodb", region_name=settings.region)
    for table in (settings.attempts_table, settings.patterns_table, settings.runs_table):
        key_names = [k["AttributeName"] for k in client.describe_table(TableName=table)["Table"]["KeySchema"]]
        for item in client.scan(TableName=table)["Items"]:
            client.delete_item(TableName=table, Key={name: item[name] for name in key_names})
    return settings


def _dynamo_harness(settings: Settings) -> StateHarness:
    client = boto3.client("dynamodb", region_name=settings.region)

    def write_legacy_attempt(repo: str, fingerprint_id: str) -> None:
        old = _legacy_attempt_fields()
        client.put_item(
            TableName=settings.attempts_table,
            Item={
                "repo": {"S": repo},
                "fingerprintId": {"S": fingerprint_id},
                "attempts": {"N": str(old["attempts"])},
                "lastAttemptAt": {"S": to_utc_iso(old["last_attempt_at"])},
                "backoffUntil": {"S": to_utc_iso(old["backoff_until"])},
                "lastResult": {"S": old["last_result"]},
                "prNumber": {"N": str(old["pr_number"])},
                "tier": {"N": str(old["tier"])},
                "costUsd": {"N": str(old["cost_usd"])},
                "version": {"N": "4"},
                "edits": {"S": json.dumps([edit.to_json() for edit in old["edits"]])},
                "errorType": {"S": old["error_type"]},
                "filePath": {"S": old["file_path"]},
            },
        )

    def write_legacy_pattern(pattern_id: str, fingerprint_id: str) -> None:
        client.put_item(
            TableName=settings.patterns_table,
            Item={
                "patternId": {"S": pattern_id},
                "fingerprintId": {"S": fingerprint_id},
                "typeFile": {"S": "TypeError#src/popup.js"},
                "errorType": {"S": "TypeError"},
                "filePath": {"S": "src/popup.js"},
                "edits": {"S": json.dumps([edit.to_json() for edit in EDITS])},
                "successRate": {"N": "0.9"},
                "useCount": {"N": "3"},
                "status": {"S": "active"},
            },
        )

    return StateHarness(
        "dynamodb", DynamoState.from_settings(settings), write_legacy_attempt, write_legacy_pattern, False
    )


def _memory_harness() -> StateHarness:
    state = MemoryState()

    def write_legacy_attempt(repo: str, fingerprint_id: str) -> None:
        # the memory store has no raw items: an old row is a state with only the old fields set,
        # stored at version 4 like the DynamoDB one
        old = AttemptState(repo=repo, fingerprint_id=fingerprint_id, version=3, **_legacy_attempt_fields())
        state.attempts.start_attempt(old, expected_attempts=0)

    def write_legacy_pattern(pattern_id: str, fingerprint_id: str) -> None:
        state.patterns.put(
            Pattern(
                pattern_id, fingerprint_id, "TypeError", "src/popup.js", EDITS, success_rate=0.9, use_count=3
            )
        )

    return StateHarness("memory", state, write_legacy_attempt, write_legacy_pattern, True)


@pytest.fixture(params=["memory", "dynamodb"])
def state_harness(request) -> StateHarness:
    if request.param == "dynamodb":
        return _dynamo_harness(_emptied(request.getfixturevalue("moto_tables")))
    return _memory_harness()


def race(state_harness: StateHarness, count: int, work: Callable[[int], object]) -> list[object]:
    """Run `work(i)` for i < count, all released at once in threads where the adapter allows it;
    each result is the return value or the exception raised."""
    results: list[object] = [None] * count

    def run(i: int) -> None:
        try:
            results[i] = work(i)
        except Exception as exc:  # collected for the caller's assertions
            results[i] = exc

    if not state_harness.concurrent:
        for i in range(count):
            run(i)
        return results
    barrier = threading.Barrier(count, timeout=10)

    def released(i: int) -> None:
        barrier.wait()
        run(i)

    threads = [threading.Thread(target=released, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def claim(fingerprint_id: str = "fp", attempts: int = 1, **fields) -> AttemptState:
    values: dict[str, Any] = {
        "last_attempt_at": NOW,
        "backoff_until": NOW + timedelta(hours=24),
        "last_result": "pending",
    }
    values.update(fields)
    return AttemptState(repo=REPO, fingerprint_id=fingerprint_id, attempts=attempts, **values)


# --- attempts: claims -------------------------------------------------------------------------


# Every attribute of the attempt row with a value other than its default: a field added to
# AttemptState fails here until it has a value, then until both stores keep it.
EVERY_ATTEMPT_FIELD: dict[str, Any] = {
    "attempts": 2,
    "last_attempt_at": NOW,
    "backoff_until": NOW + timedelta(hours=48),
    "last_result": "failed",
    "pr_number": 7,
    "tier": 2,
    "cost_usd": 0.25,
    "pattern_id": "pat-1",
    "tests_passed": False,
    "failure_summary": "tests failed",
    "edits": EDITS,
    "error_type": "TypeError",
    "file_path": "src/popup.js",
    "stage": "ci_failed",
    "head_sha": "a" * 40,
    "branch": "homeostat/fix-fp",
    "pr_opened_at": NOW - timedelta(hours=3),
    "closed_at": NOW - timedelta(hours=1),
    "ci_summary": "popup.test.js failed",
    "applied_facts": ("check:1",),
    "fingerprint_version": "2026-12",
    "occurrence_after": NOW - timedelta(days=1),
    "version_at_merge": "1.2.0",
    "merge_sha": "b" * 40,
    "released_in": "1.3.0",
    "release_rule": "tag",
    "release_seen_at": NOW - timedelta(hours=2),
    "verified_at": NOW - timedelta(minutes=30),
    "regressed_at": NOW - timedelta(minutes=20),
    "decided_by": "regressed_trusted_logger",
    "closed_at_version": "1.1.0",
    "reopened_at": NOW - timedelta(minutes=10),
    "opted_out_at": NOW - timedelta(minutes=5),
    "opt_out_issue": 3,
    "spent_usd": 0.5,
    "pr_history": (
        PrRecord(4, "regressed", NOW - timedelta(days=9), NOW - timedelta(days=8), True, "1.2.0", 0.25),
    ),
}


def test_every_attempt_attribute_survives_the_store(state_harness):
    from dataclasses import fields

    keys = {f.name for f in fields(AttemptState)} - {"repo", "fingerprint_id", "version"}
    assert set(EVERY_ATTEMPT_FIELD) == keys, (
        f"give these AttemptState fields a value: {keys ^ set(EVERY_ATTEMPT_FIELD)}"
    )
    defaults = AttemptState(repo=REPO, fingerprint_id="fp")
    assert all(getattr(defaults, k) != v for k, v in EVERY_ATTEMPT_FIELD.items())
    attempts = state_harness.state.attempts
    # Given a row with every attribute set
    stored = attempts.start_attempt(claim(**EVERY_ATTEMPT_FIELD), expected_attempts=0)
    # Then it reads back whole
    read = attempts.get(REPO, "fp")
    lost = {k: getattr(read, k) for k, v in EVERY_ATTEMPT_FIELD.items() if getattr(read, k) != v}
    assert lost == {}, f"{state_harness.kind}: attributes not stored as written: {lost}"
    assert read == stored


def test_a_first_claim_is_stored_at_version_1(state_harness):
    attempts = state_harness.state.attempts
    assert attempts.get(REPO, "fp") is None
    stored = attempts.start_attempt(claim(), expected_attempts=0)
    assert stored.version == 1
    assert attempts.get(REPO, "fp") == stored


@pytest.mark.parametrize("prior_attempts", [0, 1])
def test_two_claims_expecting_the_same_count_one_conflicts_and_the_first_stays(state_harness, prior_attempts):
    attempts = state_harness.state.attempts
    if prior_attempts:
        attempts.start_attempt(claim(attempts=prior_attempts), expected_attempts=0)
    previous = attempts.get(REPO, "fp")
    version = previous.version if previous else 0
    first = claim(attempts=prior_attempts + 1, tier=1, version=version)
    second = claim(attempts=prior_attempts + 1, tier=2, version=version)

    winner = attempts.start_attempt(first, expected_attempts=prior_attempts)
    with pytest.raises(ConflictError):
        attempts.start_attempt(second, expected_attempts=prior_attempts)
    assert attempts.get(REPO, "fp") == winner
    assert winner.tier == 1


def test_threaded_claims_of_the_same_attempt_exactly_one_wins(state_harness):
    attempts = state_harness.state.attempts
    results = race(
        state_harness, 8, lambda i: attempts.start_attempt(claim(file_path=f"w{i}.js"), expected_attempts=0)
    )
    winners = [r for r in results if isinstance(r, AttemptState)]
    assert len(winners) == 1, results
    assert all(isinstance(r, ConflictError) for r in results if r not in winners), results
    assert attempts.get(REPO, "fp").file_path == winners[0].file_path


def test_a_claim_expecting_another_count_conflicts(state_harness):
    attempts = state_harness.state.attempts
    with pytest.raises(ConflictError):
        attempts.start_attempt(claim(attempts=2), expected_attempts=1)  # no item: 0 attempts
    assert attempts.get(REPO, "fp") is None
    attempts.start_attempt(claim(), expected_attempts=0)
    for wrong in (0, 2):
        with pytest.raises(ConflictError):
            attempts.start_attempt(claim(attempts=wrong + 1, version=1), expected_attempts=wrong)
    assert attempts.get(REPO, "fp").attempts == 1


def test_a_claim_moves_the_version_on_so_an_older_save_cannot_overwrite_it(state_harness):
    attempts = state_harness.state.attempts
    opened = attempts.start_attempt(claim(), expected_attempts=0)
    reclaimed = attempts.start_attempt(dataclasses.replace(opened, attempts=2), expected_attempts=1)
    assert reclaimed.version == opened.version + 1 == 2
    with pytest.raises(ConflictError):
        attempts.save(dataclasses.replace(opened, last_result="failure"))
    assert attempts.get(REPO, "fp") == reclaimed


# --- attempts: optimistic locking -------------------------------------------------------------


def test_save_with_the_stored_version_writes_and_increments_it(state_harness):
    attempts = state_harness.state.attempts
    opened = attempts.start_attempt(claim(), expected_attempts=0)
    saved = attempts.save(dataclasses.replace(opened, last_result="failure", failure_summary="2 tests"))
    assert saved.version == 2
    assert attempts.get(REPO, "fp") == saved
    again = attempts.save(dataclasses.replace(saved, tests_passed=False))
    assert again.version == 3


def test_save_with_a_stale_version_conflicts_and_changes_nothing(state_harness):
    attempts = state_harness.state.attempts
    opened = attempts.start_attempt(claim(), expected_attempts=0)
    saved = attempts.save(dataclasses.replace(opened, last_result="failure"))
    for stale in (opened, dataclasses.replace(saved, version=0), dataclasses.replace(saved, version=9)):
        with pytest.raises(ConflictError):
            attempts.save(dataclasses.replace(stale, last_result="success"))
    assert attempts.get(REPO, "fp") == saved


def test_save_of_a_missing_item_creates_it_only_at_version_0(state_harness):
    attempts = state_harness.state.attempts
    with pytest.raises(ConflictError):
        attempts.save(claim("gone", version=3))
    assert attempts.get(REPO, "gone") is None
    created = attempts.save(claim("new"))
    assert created.version == 1
    assert attempts.get(REPO, "new") == created


def test_threaded_saves_from_the_same_version_one_wins(state_harness):
    attempts = state_harness.state.attempts
    opened = attempts.start_attempt(claim(), expected_attempts=0)
    results = race(state_harness, 6, lambda i: attempts.save(opened.with_applied(f"check_run:{i}")))
    winners = [r for r in results if isinstance(r, AttemptState)]
    assert len(winners) == 1, results
    assert all(isinstance(r, ConflictError) for r in results if r not in winners), results
    assert attempts.get(REPO, "fp").applied_facts == winners[0].applied_facts


# --- attempts: fields, legacy rows, queries ---------------------------------------------------


def test_lifecycle_fields_round_trip(state_harness):
    attempts = state_harness.state.attempts
    facts = tuple(f"check_suite:{n}:completed" for n in range(3))
    full = claim(
        pr_number=12,
        tier=2,
        cost_usd=0.0375,
        pattern_id="pat-fp",
        tests_passed=False,
        failure_summary="popup.spec.js failed",
        edits=EDITS,
        error_type="TypeError",
        file_path="src/popup.js",
        stage="ci_failed",
        head_sha="9f2c1e0d4b7a6c5e3f1a2b3c4d5e6f708192a3b4",
        branch="homeostat/fix-fp",
        pr_opened_at=NOW + timedelta(minutes=1),
        closed_at=NOW + timedelta(days=2, microseconds=123456),
        ci_summary="lint: 1 error in src/popup.js",
        applied_facts=facts,
        fingerprint_version="v2",
        occurrence_after=NOW + timedelta(days=2),
    )
    stored = attempts.start_attempt(full, expected_attempts=0)
    assert attempts.get(REPO, "fp") == stored == dataclasses.replace(full, version=1)
    assert attempts.get(REPO, "fp").applied_facts == facts


def test_release_and_decision_fields_round_trip(state_harness):
    attempts = state_harness.state.attempts
    full = claim(
        stage="merged",
        version_at_merge="1.2.0",
        merge_sha="4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        released_in="1.3.0",
        release_rule="tag",
        release_seen_at=NOW + timedelta(days=1),
        verified_at=NOW + timedelta(days=15),
        regressed_at=NOW + timedelta(days=16),
        decided_by="regressed_trusted_logger",
        closed_at_version="1.2.0",
        reopened_at=NOW + timedelta(days=3),
        opted_out_at=NOW + timedelta(days=4),
        opt_out_issue=12,
    )
    stored = attempts.start_attempt(full, expected_attempts=0)
    assert attempts.get(REPO, "fp") == stored == dataclasses.replace(full, version=1)
    # and a row written before them loads with None for each
    state_harness.write_legacy_attempt(REPO, "old")
    old = attempts.get(REPO, "old")
    assert (old.merge_sha, old.released_in, old.release_rule, old.decided_by) == (None,) * 4
    assert (old.closed_at_version, old.reopened_at, old.opted_out_at, old.opt_out_issue) == (None,) * 4


def test_pr_history_and_the_running_cost_round_trip(state_harness):
    attempts = state_harness.state.attempts
    merged = PrRecord(
        number=4,
        outcome="regressed",
        opened_at=NOW,
        closed_at=NOW + timedelta(hours=30),
        merged=True,
        fixed_in="1.2.0",
        cost_usd=0.0042,
    )
    closed = PrRecord(number=9, outcome="closed_by_person", opened_at=NOW, closed_at=NOW, cost_usd=0.001)
    full = claim(stage="draft", pr_number=12, spent_usd=0.0063, pr_history=(merged, closed))
    stored = attempts.start_attempt(full, expected_attempts=0)
    assert attempts.get(REPO, "fp") == stored == dataclasses.replace(full, version=1)
    # a row written before them: no history, and what it spent is its last attempt's cost
    state_harness.write_legacy_attempt(REPO, "old")
    old = attempts.get(REPO, "old")
    assert (old.pr_history, old.spent_usd, old.spent_so_far) == ((), 0.0, old.cost_usd)


def test_values_read_back_as_a_dynamodb_round_trip_leaves_them(state_harness):
    attempts = state_harness.state.attempts
    naive = datetime(2025, 3, 1, 12, 0)
    attempts.start_attempt(
        claim(
            last_attempt_at=naive,
            closed_at=naive,
            cost_usd=0.1 + 0.2,
            failure_summary="",
            head_sha="",
            branch="",
            ci_summary="",
        ),
        expected_attempts=0,
    )
    stored = attempts.get(REPO, "fp")
    assert stored.last_attempt_at.tzinfo is not None and stored.last_attempt_at == NOW
    assert stored.closed_at == NOW
    assert stored.cost_usd == 0.3
    assert (stored.failure_summary, stored.head_sha, stored.branch, stored.ci_summary) == (None,) * 4
    assert (stored.stage, stored.fingerprint_version, stored.applied_facts) == ("", "", ())


def test_applied_facts_keep_the_last_50(state_harness):
    attempts = state_harness.state.attempts
    opened = attempts.start_attempt(claim(), expected_attempts=0)
    state = opened
    for n in range(MAX_APPLIED_FACTS + 10):
        state = state.with_applied(f"status:{n}")
    state = state.with_applied("status:59")  # already applied: recorded once
    saved = attempts.save(state)
    stored = attempts.get(REPO, "fp")
    assert stored == saved
    assert stored.applied_facts == tuple(f"status:{n}" for n in range(10, 60))
    assert stored.has_applied("status:59") and not stored.has_applied("status:9")


def test_a_row_written_before_the_lifecycle_fields_loads_with_their_defaults(state_harness):
    state_harness.write_legacy_attempt(REPO, "old")
    stored = state_harness.state.attempts.get(REPO, "old")
    expected = AttemptState(repo=REPO, fingerprint_id="old", version=4, **_legacy_attempt_fields())
    assert stored == expected
    assert (stored.stage, stored.head_sha, stored.branch, stored.pr_opened_at, stored.closed_at) == (
        "",
        None,
        None,
        None,
        None,
    )
    assert (stored.ci_summary, stored.applied_facts, stored.fingerprint_version, stored.occurrence_after) == (
        None,
        (),
        "",
        None,
    )
    # and it takes new fields under the usual locking
    moved = state_harness.state.attempts.save(dataclasses.replace(stored, stage="draft_pr", head_sha="abc"))
    assert moved.version == 5
    assert state_harness.state.attempts.get(REPO, "old") == moved
    assert state_harness.state.attempts.find_by_pr(REPO, 7) == moved


def test_list_returns_the_repos_attempts_in_fingerprint_order(state_harness):
    attempts = state_harness.state.attempts
    for fp in ("c", "a", "b"):
        attempts.start_attempt(claim(fp), expected_attempts=0)
    attempts.start_attempt(dataclasses.replace(claim("z"), repo="other/repo"), expected_attempts=0)
    assert [a.fingerprint_id for a in attempts.list(REPO)] == ["a", "b", "c"]
    assert [a.fingerprint_id for a in attempts.list("other/repo")] == ["z"]
    assert attempts.list("none/none") == []


def test_find_by_pr_finds_the_attempt_holding_that_pr_in_that_repo(state_harness):
    attempts = state_harness.state.attempts
    with_pr = attempts.start_attempt(claim("a", pr_number=5), expected_attempts=0)
    attempts.start_attempt(claim("b"), expected_attempts=0)
    attempts.start_attempt(dataclasses.replace(claim("c", pr_number=6), repo="other/repo"), 0)
    assert attempts.find_by_pr(REPO, 5) == with_pr
    assert attempts.find_by_pr(REPO, 6) is None
    assert attempts.find_by_pr("other/repo", 6).fingerprint_id == "c"


def test_a_claim_and_a_lifecycle_move_work_over_the_port(state_harness):
    attempts = state_harness.state.attempts
    row = lifecycle.claimed(AttemptState(REPO, "fp"), NOW, error_type="TypeError", file_path="src/a.js")
    claimed = attempts.start_attempt(row, expected_attempts=0)
    done = attempts.save(lifecycle.moved(claimed, lifecycle.Stage.FIX_RECORDED, pr_number=9, cost_usd=0.02))
    assert attempts.get(REPO, "fp") == done
    assert (done.attempts, done.version, done.pr_number, done.stage) == (1, 2, 9, "fix_recorded")


# --- patterns ---------------------------------------------------------------------------------


def pattern(pattern_id: str, fingerprint_id: str = "fp1", **fields) -> Pattern:
    values: dict[str, Any] = {"error_type": "TypeError", "file_path": "src/popup.js", "edits": EDITS}
    values.update(fields)
    return Pattern(pattern_id=pattern_id, fingerprint_id=fingerprint_id, **values)


def test_patterns_round_trip_with_repo_and_fingerprint_version(state_harness):
    patterns = state_harness.state.patterns
    assert patterns.get("pat-fp1") is None
    full = pattern(
        "pat-fp1",
        diff="--- a\n+++ b\n",
        success_rate=0.85,
        use_count=4,
        created_at=NOW,
        last_used_at=NOW + timedelta(days=1),
        repo="acme/ext",
        fingerprint_version="v2",
    )
    patterns.put(full)
    assert patterns.get("pat-fp1") == full
    patterns.put(pattern("p2", success_rate=0.1 + 0.7, created_at=datetime(2025, 3, 1, 12, 0)))
    stored = patterns.get("p2")
    assert (stored.success_rate, stored.created_at, stored.repo, stored.fingerprint_version) == (
        0.8,
        NOW,
        "",
        "",
    )


def test_probation_fields_round_trip_and_an_old_pattern_is_one_merge_unverified(state_harness):
    patterns = state_harness.state.patterns
    proven = pattern("pat-fp1", merges=2, verified_at=datetime(2025, 3, 9, 12, 0))
    patterns.put(proven)
    assert patterns.get("pat-fp1") == dataclasses.replace(proven, verified_at=NOW + timedelta(days=8))
    state_harness.write_legacy_pattern("pat-old", "old")
    old = patterns.get("pat-old")
    assert (old.merges, old.verified_at) == (1, None)


def test_a_pattern_written_before_fingerprint_versions_loads_with_defaults(state_harness):
    state_harness.write_legacy_pattern("pat-old", "old")
    assert state_harness.state.patterns.get("pat-old") == pattern(
        "pat-old", "old", success_rate=0.9, use_count=3
    )
    assert state_harness.state.patterns.active_for_fingerprint("old").pattern_id == "pat-old"


def test_active_for_fingerprint_takes_the_deterministic_id_first(state_harness):
    patterns = state_harness.state.patterns
    patterns.put(pattern("imported-best", success_rate=1.0, use_count=50))
    patterns.put(pattern(pattern_id_for("fp1"), success_rate=0.5))
    assert patterns.active_for_fingerprint("fp1").pattern_id == pattern_id_for("fp1")


def test_active_for_fingerprint_falls_back_to_the_best_active_imported_pattern(state_harness):
    patterns = state_harness.state.patterns
    patterns.put(pattern(pattern_id_for("fp1"), status="retired", success_rate=1.0))
    patterns.put(pattern("imp-a", success_rate=0.9, use_count=1))
    patterns.put(pattern("imp-b", success_rate=0.9, use_count=2))
    patterns.put(pattern("imp-c", success_rate=0.95, status="retired"))
    patterns.put(pattern("other", "fp2", success_rate=1.0))
    # the deterministic id of fp3 holding another fingerprint's pattern is not fp3's
    patterns.put(pattern(pattern_id_for("fp3"), "fp2"))
    assert patterns.active_for_fingerprint("fp1").pattern_id == "imp-b"
    assert patterns.active_for_fingerprint("fp3") is None
    assert patterns.active_for_fingerprint("none") is None


def test_active_for_type_and_file_ignores_retired_and_other_keys(state_harness):
    patterns = state_harness.state.patterns
    patterns.put(pattern("a", "fp1"))
    patterns.put(pattern("b", "fp2"))
    patterns.put(pattern("c", "fp3", status="retired"))
    patterns.put(pattern("d", "fp4", file_path="src/other.js"))
    patterns.put(pattern("e", "fp5", error_type="RangeError"))
    found = patterns.active_for_type_and_file("TypeError", "src/popup.js")
    assert sorted(p.pattern_id for p in found) == ["a", "b"]
    assert patterns.active_for_type_and_file("TypeError", "src/none.js") == []


def test_put_replaces_and_retiring_removes_from_both_indexes(state_harness):
    patterns = state_harness.state.patterns
    patterns.put(pattern(pattern_id_for("fp1")))
    patterns.put(pattern(pattern_id_for("fp1"), status="retired", use_count=10))
    assert patterns.get(pattern_id_for("fp1")).use_count == 10
    assert patterns.active_for_fingerprint("fp1") is None
    assert patterns.active_for_type_and_file("TypeError", "src/popup.js") == []


def test_all_lists_every_pattern_by_id_retired_included(state_harness):
    patterns = state_harness.state.patterns
    patterns.put_many([pattern("b"), pattern("a", status="retired"), pattern("c", "fp2")])
    assert [p.pattern_id for p in patterns.all()] == ["a", "b", "c"]


# --- budgets ----------------------------------------------------------------------------------


def test_reservations_fill_the_cap_exactly_and_no_further(state_harness):
    budgets = state_harness.state.budgets
    budgets.reserve_usd(REPO, DAY, 0.7, 1.0)
    with pytest.raises(BudgetExceeded):
        budgets.reserve_usd(REPO, DAY, 0.31, 1.0)
    assert budgets.spent_usd(REPO, DAY) == 0.7
    budgets.reserve_usd(REPO, DAY, 0.3, 1.0)
    assert budgets.spent_usd(REPO, DAY) == 1.0
    with pytest.raises(BudgetExceeded):
        budgets.reserve_usd(REPO, DAY, 0.000001, 1.0)


def test_decimal_arithmetic_has_no_float_drift(state_harness):
    budgets = state_harness.state.budgets
    for _ in range(3):
        budgets.reserve_usd(REPO, DAY, 0.1, 0.3)  # 0.1 + 0.1 + 0.1 > 0.3 in floats
    assert budgets.spent_usd(REPO, DAY) == 0.3
    budgets.reserve_usd("acme/b", DAY, 0.1234567, 1.0)  # money is kept to 6 decimals
    assert budgets.spent_usd("acme/b", DAY) == 0.123457


def test_impossible_reservations_are_refused_before_any_write(state_harness):
    budgets = state_harness.state.budgets
    with pytest.raises(BudgetExceeded):
        budgets.reserve_usd(REPO, DAY, 1.01, 1.0)
    with pytest.raises(ValueError):
        budgets.reserve_usd(REPO, DAY, -0.1, 1.0)
    assert budgets.spent_usd(REPO, DAY) == 0.0


def test_settle_replaces_the_reservation_by_the_real_cost(state_harness):
    budgets = state_harness.state.budgets
    budgets.reserve_usd(REPO, DAY, 0.5, 1.0)
    budgets.settle_usd(REPO, DAY, reserved=0.5, actual=0.125)
    assert budgets.spent_usd(REPO, DAY) == 0.125
    budgets.reserve_usd(REPO, DAY, 0.3, 1.0)
    budgets.settle_usd(REPO, DAY, reserved=0.3, actual=0)  # a refund
    assert budgets.spent_usd(REPO, DAY) == 0.125
    budgets.settle_usd(REPO, DAY, reserved=0.2, actual=0.2)  # nothing to change
    # a cost above the reservation is recorded even past the cap: the money is spent
    budgets.reserve_usd(REPO, DAY, 0.8, 1.0)
    budgets.settle_usd(REPO, DAY, reserved=0.8, actual=0.9)
    assert budgets.spent_usd(REPO, DAY) == 1.025
    with pytest.raises(BudgetExceeded):
        budgets.reserve_usd(REPO, DAY, 0, 1.0)
    budgets.settle_usd(REPO, DAY + timedelta(days=1), reserved=0, actual=0.2)  # cost without a reservation
    assert budgets.spent_usd(REPO, DAY + timedelta(days=1)) == 0.2


def test_budgets_are_per_repo_and_per_day(state_harness):
    budgets = state_harness.state.budgets
    budgets.reserve_usd(REPO, DAY, 1.0, 1.0)
    budgets.reserve_usd("acme/b", DAY, 1.0, 1.0)
    budgets.reserve_usd(REPO, DAY + timedelta(days=1), 1.0, 1.0)
    budgets.reserve_pr(REPO, DAY, 1)
    assert budgets.spent_usd(REPO, date(2025, 3, 3)) == 0.0
    assert (budgets.prs_opened(REPO, DAY), budgets.prs_opened("acme/b", DAY)) == (1, 0)
    assert budgets.prs_opened(REPO, DAY + timedelta(days=1)) == 0


def test_racing_reservations_never_pass_the_cap(state_harness):
    budgets = state_harness.state.budgets
    results = race(state_harness, 20, lambda _i: budgets.reserve_usd(REPO, DAY, 0.15, 1.0))
    refused = [r for r in results if r is not None]
    assert all(isinstance(r, BudgetExceeded) for r in refused), refused
    assert len(results) - len(refused) == 6  # 6 × 0.15 = 0.90; a 7th would make 1.05
    assert budgets.spent_usd(REPO, DAY) == 0.9


def test_pr_slots_stop_at_the_cap(state_harness):
    budgets = state_harness.state.budgets
    with pytest.raises(BudgetExceeded):
        budgets.reserve_pr(REPO, DAY, 0)
    assert budgets.prs_opened(REPO, DAY) == 0
    budgets.reserve_pr(REPO, DAY, 2)
    budgets.reserve_pr(REPO, DAY, 2)
    with pytest.raises(BudgetExceeded):
        budgets.reserve_pr(REPO, DAY, 2)
    assert budgets.prs_opened(REPO, DAY) == 2
    budgets.reserve_pr(REPO, DAY, 3)  # a higher cap the same day has room again
    assert budgets.prs_opened(REPO, DAY) == 3


def test_racing_pr_slots_never_pass_the_cap(state_harness):
    budgets = state_harness.state.budgets
    results = race(state_harness, 10, lambda _i: budgets.reserve_pr(REPO, DAY, 3))
    refused = [r for r in results if r is not None]
    assert all(isinstance(r, BudgetExceeded) for r in refused), refused
    assert len(refused) == 7
    assert budgets.prs_opened(REPO, DAY) == 3


# --- runs -------------------------------------------------------------------------------------


def run(run_id: str, repo: str = REPO, hours: float = 0, **fields) -> RunRecord:
    return RunRecord(run_id=run_id, repo=repo, timestamp=NOW + timedelta(hours=hours), **fields)


def test_runs_list_by_repo_and_inclusive_time_range_in_time_order(state_harness):
    runs = state_harness.state.runs
    records = [run("r0", hours=0), run("r1", "acme/b", hours=6), run("r2", hours=12), run("r3", hours=18)]
    for record in reversed(records):
        runs.save(record)
    assert runs.list() == records
    assert runs.list(REPO) == [records[0], records[2], records[3]]
    assert runs.list(REPO, since=NOW + timedelta(hours=12)) == records[2:]
    assert runs.list(until=NOW + timedelta(hours=6)) == records[:2]
    assert runs.list(since=NOW + timedelta(hours=1), until=NOW + timedelta(hours=12)) == records[1:3]
    assert runs.list("none/none") == []


def test_a_run_record_reads_back_as_json_and_saving_it_again_replaces_it(state_harness):
    runs = state_harness.state.runs
    record = run("r1", prs_created=1, cost_usd=0.02, deferred_issues=[3])
    record.outcomes.append({"fingerprint": "fp", "at": NOW, "result": "pr_created"})
    runs.save(record)
    (stored,) = runs.list(REPO)
    assert stored.outcomes == [{"fingerprint": "fp", "at": str(NOW), "result": "pr_created"}]
    stored.outcomes.clear()  # what a caller does with its copy does not reach the store
    assert runs.list(REPO)[0].outcomes != []
    runs.save(dataclasses.replace(record, prs_created=2, outcomes=[]))
    assert [r.prs_created for r in runs.list(REPO)] == [2]


def test_a_naive_run_timestamp_is_utc(state_harness):
    runs = state_harness.state.runs
    runs.save(RunRecord(run_id="r1", repo=REPO, timestamp=datetime(2025, 3, 1, 12, 0)))
    assert runs.list(REPO)[0].timestamp == NOW
    assert runs.list(REPO, since=NOW, until=NOW)[0].run_id == "r1"
