"""No single input kills a run: an unexpected error becomes that fingerprint's recorded failure."""

from __future__ import annotations

from homeostat_core.ports import LlmError
from tests.unit.lifecycle.world import make_world


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


def test_money_spent_before_an_error_is_settled_at_what_was_spent(tmp_path):
    w = make_world(tmp_path)
    w.file_issue()

    class Boom(RuntimeError):
        spent_usd = 0.0123

    def answer(model, messages):
        raise Boom("forge went away after the model answered")

    w.model.answer = answer
    w.run()
    spent = w.state.budgets.spent_usd(w.repo.slug, w.clock.now().date())
    assert abs(spent - 0.0123) < 1e-9


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
    real_read = w.forge.read_file
    calls = {"n": 0}

    def read_file(repo, path, ref=None):
        calls["n"] += 1
        if calls["n"] > 1:
            raise RateLimitLow("GitHub rate limit of token is low", reset_at=None)
        return real_read(repo, path, ref)

    w.forge.read_file = read_file
    record = w.run()
    # Then the first fingerprint got its PR, the second waits for the continuation; no run error
    assert record.stopped_early and record.error is None
    assert [o["result"] for o in record.outcomes] == ["pr_created", "deferred"]
    assert record.deferred_issues == [second] and first in record.outcomes[0]["issues"]
    assert "rate limit" in record.outcomes[1]["reason"]
