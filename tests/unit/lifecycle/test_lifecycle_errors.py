"""No single input kills a run: an unexpected error becomes that fingerprint's recorded failure."""

from __future__ import annotations

from homeostat_core.ports import LlmError
from tests.unit.lifecycle.world import make_world, storage_fix


def test_a_model_reply_nested_a_thousand_levels_is_a_clear_rejection_not_a_crash(tmp_path):
    w = make_world(tmp_path)
    w.file_issue()
    w.model.answer = lambda model, messages: '{"summary": ' + "[" * 1000 + "]" * 1000 + "}"
    record = w.run()
    (outcome,) = record.outcomes
    assert outcome["result"] == "failed" and outcome["reason"] == "parse_error"
    assert w.stage() == "attempt_failed"


def test_an_unexpected_error_in_one_fingerprint_is_recorded_and_the_run_goes_on(tmp_path):
    w = make_world(tmp_path, max_prs_per_run=5)
    w.file_issue()
    w.file_issue(error_type="TypeError", message="Cannot read properties of null (reading 'push')")
    answers = iter([RecursionError("maximum recursion depth exceeded")])

    def answer(model, messages):
        failure = next(answers, None)
        if failure is not None:
            raise failure
        from tests.unit.lifecycle.world import storage_fix

        return storage_fix(1)

    w.model.answer = answer
    record = w.run()
    results = sorted(o["result"] for o in record.outcomes)
    assert results == ["error", "pr_created"]
    error = [o for o in record.outcomes if o["result"] == "error"][0]
    assert "RecursionError" in error["detail"]
    # the failed attempt is finished, not left pending for crash recovery
    row = w.attempt(error["fingerprint"])
    assert row.stage == "attempt_failed" and row.last_result == "failure"


def test_money_spent_before_an_error_is_settled_at_what_was_spent(tmp_path, monkeypatch):
    # Given a model that answers (a paid call), then a forge that fails while the fix is validated
    import json

    from homeostat_core.ports import ForgeError

    w = make_world(tmp_path)
    w.file_issue()
    # the fix also edits a file the prompt did not show, so validation must read it from the forge
    edit = {"path": "src/popup/popup.js", "search": "a", "replace": "b"}
    w.model.answer = lambda model, messages: json.dumps({"summary": "s", "edits": [edit]})
    real_read = w.forge.read_file

    def read_file(repo, path, ref=None):
        if w.model.calls and path == edit["path"]:
            raise ForgeError("GitHub went away after the model answered")
        return real_read(repo, path, ref=ref)

    monkeypatch.setattr(w.forge, "read_file", read_file)
    # When the run meets the error
    record = w.run()
    # Then the day's budget keeps what the call cost (the error carries it), not a refund to zero
    spent = w.state.budgets.spent_usd(w.repo.slug, w.clock.now().date())
    (outcome,) = record.outcomes
    assert len(w.model.calls) == 1 and spent > 0
    assert outcome["result"] == "deferred" and outcome["deferral"] == "port_error"


def test_a_dead_model_gives_the_attempt_back(tmp_path):
    w = make_world(tmp_path)
    w.file_issue()
    w.model.answer = lambda model, messages: LlmError("server", "connection refused")
    record = w.run()
    assert [o["result"] for o in record.outcomes] == ["deferred"]
    assert w.state.attempts.list(w.repo.slug)[0].attempts == 0 if w.state.attempts.list(w.repo.slug) else True


def test_a_low_rate_limit_stops_the_run_cleanly_and_defers_the_rest(tmp_path):
    from homeostat_core.ports import RateLimitLow

    w = make_world(tmp_path, max_prs_per_run=5)
    first = w.file_issue()
    second = w.file_issue(error_type="TypeError", message="Cannot read properties of null (reading 'push')")
    # (both errors are in one file, read once per run: the limit is met when the second PR is written)
    real_upsert = w.forge.upsert_pr
    calls = {"n": 0}

    def upsert_pr(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 1:
            raise RateLimitLow("GitHub rate limit of token is low", reset_at=None)
        return real_upsert(*args, **kwargs)

    w.forge.upsert_pr = upsert_pr
    record = w.run()
    # Then the first fingerprint got its PR, the second waits for the continuation; no run error
    assert record.stopped_early and record.error is None
    assert [o["result"] for o in record.outcomes] == ["pr_created", "deferred"]
    assert record.deferred_issues == [second] and first in record.outcomes[0]["issues"]
    assert "rate limit" in record.outcomes[1]["reason"]


def test_a_stage_without_a_handler_fails_only_its_fingerprint(tmp_path, monkeypatch):
    # Given two bugs, one already attempted (its row is at attempt_failed) and one new
    from homeostat_core.lifecycle import Stage
    from homeostat_core.pipeline import dispatch

    w = make_world(tmp_path, max_prs_per_run=5)
    w.file_issue()
    w.model.answer = lambda model, messages: "not json"
    w.run()
    w.later(25)
    w.model.answer = lambda model, messages: storage_fix(2)
    w.file_issue(error_type="TypeError", message="Cannot read properties of null (reading 'push')")
    # When the handler table has lost the stage the first one is in
    monkeypatch.setitem(dispatch.HANDLERS, Stage.ATTEMPT_FAILED, None)
    monkeypatch.delitem(dispatch.HANDLERS, Stage.ATTEMPT_FAILED)
    record = w.run()
    # Then that fingerprint's outcome is an error and the new bug still gets its PR
    assert sorted(o["result"] for o in record.outcomes) == ["error", "pr_created"]
    assert record.error is None


def test_a_store_failure_reading_one_row_defers_only_that_fingerprint(tmp_path, monkeypatch):
    from homeostat_core.ports import PortError

    w = make_world(tmp_path, max_prs_per_run=5)
    w.file_issue()
    w.file_issue(error_type="TypeError", message="Cannot read properties of null (reading 'push')")
    first = w.run().outcomes[0]["fingerprint"]
    w.state.attempts.save(w.attempt(first).__class__(repo=w.repo.slug, fingerprint_id="x"))
    real_get = w.state.attempts.get
    failing = {first}

    def get(repo, fingerprint_id):
        if fingerprint_id in failing:
            raise PortError("DynamoDB unavailable")
        return real_get(repo, fingerprint_id)

    monkeypatch.setattr(w.state.attempts, "get", get)
    record = w.run()
    deferred = [o for o in record.outcomes if o["result"] == "deferred"]
    assert [o["fingerprint"] for o in deferred] == [first]
    assert deferred[0]["deferral"] == "port_error" and record.deferrals == {"port_error": 1}
    assert record.error is None


def test_deferrals_are_counted_by_cause_on_the_run_record(tmp_path):
    w = make_world(tmp_path, max_prs_per_run=1)
    w.file_issue()
    w.file_issue(error_type="TypeError", message="Cannot read properties of null (reading 'push')")
    w.file_issue(error_type="RangeError", message="Invalid array length")
    record = w.run()
    assert record.deferrals == {"max_prs_per_run": 2}
    assert sorted(o.get("deferral", "-") for o in record.outcomes) == [
        "-",
        "max_prs_per_run",
        "max_prs_per_run",
    ]


def test_a_symbolication_crash_leaves_the_report_as_it_came_and_the_run_goes_on(tmp_path, monkeypatch):
    # Given a report with a minified in-app frame and a symbolicator that blows up on it
    from homeostat_core.symbolication.symbolicate import Symbolicator

    def explode(self, report):
        raise OverflowError("column 4294967297 does not fit")

    monkeypatch.setattr(Symbolicator, "symbolicate", explode)
    w = make_world(tmp_path, max_prs_per_run=5)
    minified = (
        "TypeError: e is undefined\n"
        "    at n (chrome-extension://hpoiebnmdefkcpbbhiegdgnhlmbmlbkn/dist/app.min.js:1:4294967297)"
    )
    w.file_issue(error_type="TypeError", message="e is undefined", stack=minified)
    w.file_issue()
    # When the run reads them
    record = w.run()
    # Then the crash is counted, not raised, and the other report still gets its PR
    assert "symbolication failed: OverflowError" in record.maps_skipped
    assert "pr_created" in [o["result"] for o in record.outcomes] and record.error is None


def test_a_fingerprinting_crash_is_that_issues_error_and_the_run_goes_on(tmp_path, monkeypatch):
    from homeostat_core.pipeline import intake

    real = intake.lean_report

    def lean_report(title, body, labels, number):
        if "RangeError" in title:
            raise ValueError("unexpected frame shape")
        return real(title, body, labels, number)

    monkeypatch.setattr(intake, "lean_report", lean_report)
    w = make_world(tmp_path, max_prs_per_run=5)
    bad = w.file_issue(error_type="RangeError", message="Invalid array length")
    w.file_issue()
    record = w.run()
    errors = [o for o in record.outcomes if o["result"] == "error"]
    assert [o["issues"] for o in errors] == [[bad]] and "ValueError" in errors[0]["detail"]
    assert "pr_created" in [o["result"] for o in record.outcomes]


def test_past_the_deadline_unparseable_issues_get_no_forge_writes(tmp_path):
    from homeostat_core.ports import Deadline

    w = make_world(tmp_path, max_prs_per_run=5)
    numbers = [
        w.forge.add_issue(w.repo, f"[NoteBridge] junk {n}", "no stack here", ["robot"], "littlebearapps-bot")
        for n in range(5)
    ]
    writes = []
    for name in ("add_labels", "comment_on_issue", "comment_on_pr", "close_issue", "upsert_pr"):
        real = getattr(w.forge, name)
        setattr(
            w.forge, name, lambda *a, _real=real, _name=name, **k: (writes.append(_name), _real(*a, **k))[1]
        )
    record = w.run(deadline=Deadline(remaining_s=lambda: 0.0, margin_s=60.0))
    assert writes == []
    assert record.deferrals == {"deadline": len(numbers)}
    # and with time left, each is answered once
    record = w.run()
    assert record.unparseable == len(numbers) and writes.count("add_labels") == len(numbers)


def test_a_report_with_no_location_is_counted_as_no_frames_and_answered_once(tmp_path):
    # Given a logger issue whose "stack" names no file or line at all
    w = make_world(tmp_path, max_prs_per_run=5)
    number = w.file_issue(error_type="TypeError", message="x is undefined", stack="TypeError: x is undefined")
    # When the run reads it
    record = w.run()
    # Then it is unparseable by the code no_frames (never a guessed file), with one comment
    (outcome,) = record.outcomes
    assert outcome["result"] == "unparseable" and outcome["reason"] == "no_frames"
    assert record.unparseable_by_code == {"no_frames": 1}
    assert len(w.forge.issue_comments(w.repo, number)) == 1
    assert w.model.calls == []
