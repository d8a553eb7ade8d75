"""The attempt and pattern rows as DynamoDB items and back: one attribute per field (names in
docs/STATE.md); absent attributes load as the field's default, so rows written before a field
existed still read."""

from __future__ import annotations

from pynamodb.models import Model

from homeostat_core.adapters.state_values import money, type_file_key
from homeostat_core.models import AttemptState, FileEdit, Pattern, PrRecord


def attempt_to_item(model: type[Model], state: AttemptState) -> Model:
    # version 0 means "never stored": leave it unset so PynamoDB expects no item
    versioned = {"version": state.version} if state.version else {}
    return model(
        state.repo,
        state.fingerprint_id,
        attempts=state.attempts,
        lastAttemptAt=state.last_attempt_at,
        backoffUntil=state.backoff_until,
        lastResult=state.last_result,
        prNumber=state.pr_number,
        tier=state.tier,
        costUsd=money(state.cost_usd),
        **versioned,
        patternId=state.pattern_id,
        testsPassed=state.tests_passed,
        failureSummary=state.failure_summary or None,
        edits=[edit.to_json() for edit in state.edits] if state.edits else None,
        errorType=state.error_type or None,
        filePath=state.file_path or None,
        stage=state.stage or None,
        headSha=state.head_sha or None,
        branch=state.branch or None,
        prOpenedAt=state.pr_opened_at,
        closedAt=state.closed_at,
        ciSummary=state.ci_summary or None,
        appliedFacts=list(state.applied_facts) or None,
        fingerprintVersion=state.fingerprint_version or None,
        occurrenceAfter=state.occurrence_after,
        fixedInVersion=state.version_at_merge or None,
        releaseSeenAt=state.release_seen_at,
        verifiedAt=state.verified_at,
        regressedAt=state.regressed_at,
        mergeSha=state.merge_sha or None,
        releasedIn=state.released_in or None,
        releaseRule=state.release_rule or None,
        decidedBy=state.decided_by or None,
        closedAtVersion=state.closed_at_version or None,
        reopenedAt=state.reopened_at,
        optedOutAt=state.opted_out_at,
        optOutIssue=state.opt_out_issue,
        spentUsd=money(state.spent_usd) if state.spent_usd else None,
        prHistory=[record.to_json() for record in state.pr_history] or None,
    )


def attempt_from_item(item: Model) -> AttemptState:
    return AttemptState(
        repo=item.repo,
        fingerprint_id=item.fingerprintId,
        attempts=int(item.attempts or 0),
        last_attempt_at=item.lastAttemptAt,
        backoff_until=item.backoffUntil,
        last_result=item.lastResult,
        pr_number=int(item.prNumber) if item.prNumber is not None else None,
        tier=int(item.tier) if item.tier is not None else None,
        cost_usd=float(item.costUsd or 0),
        version=int(item.version or 0),
        pattern_id=item.patternId,
        tests_passed=item.testsPassed,
        failure_summary=item.failureSummary,
        edits=tuple(FileEdit.from_json(edit) for edit in item.edits or ()),
        error_type=item.errorType or "",
        file_path=item.filePath or "",
        stage=item.stage or "",
        head_sha=item.headSha or None,
        branch=item.branch or None,
        pr_opened_at=item.prOpenedAt,
        closed_at=item.closedAt,
        ci_summary=item.ciSummary or None,
        applied_facts=tuple(item.appliedFacts or ()),
        fingerprint_version=item.fingerprintVersion or "",
        occurrence_after=item.occurrenceAfter,
        version_at_merge=item.fixedInVersion or None,
        release_seen_at=item.releaseSeenAt,
        verified_at=item.verifiedAt,
        regressed_at=item.regressedAt,
        merge_sha=item.mergeSha or None,
        released_in=item.releasedIn or None,
        release_rule=item.releaseRule or None,
        decided_by=item.decidedBy or None,
        closed_at_version=item.closedAtVersion or None,
        reopened_at=item.reopenedAt,
        opted_out_at=item.optedOutAt,
        opt_out_issue=int(item.optOutIssue) if item.optOutIssue is not None else None,
        spent_usd=float(item.spentUsd or 0),
        pr_history=tuple(PrRecord.from_json(record) for record in item.prHistory or ()),
    )


def pattern_to_item(model: type[Model], pattern: Pattern) -> Model:
    return model(
        pattern.pattern_id,
        fingerprintId=pattern.fingerprint_id,
        typeFile=type_file_key(pattern.error_type, pattern.file_path),
        errorType=pattern.error_type or None,
        filePath=pattern.file_path or None,
        edits=[edit.to_json() for edit in pattern.edits],
        diff=pattern.diff or None,
        successRate=money(pattern.success_rate),
        useCount=pattern.use_count,
        createdAt=pattern.created_at,
        lastUsedAt=pattern.last_used_at,
        status=pattern.status,
        repo=pattern.repo or None,
        fingerprintVersion=pattern.fingerprint_version or None,
        merges=pattern.merges,
        verifiedAt=pattern.verified_at,
    )


def pattern_from_item(item: Model) -> Pattern:
    return Pattern(
        pattern_id=item.patternId,
        fingerprint_id=item.fingerprintId,
        error_type=item.errorType or "",
        file_path=item.filePath or "",
        edits=tuple(FileEdit.from_json(edit) for edit in item.edits or ()),
        diff=item.diff or "",
        success_rate=float(item.successRate),
        use_count=int(item.useCount or 0),
        created_at=item.createdAt,
        last_used_at=item.lastUsedAt,
        status=item.status or "active",
        repo=item.repo or "",
        fingerprint_version=item.fingerprintVersion or "",
        merges=int(item.merges) if item.merges is not None else 1,
        verified_at=item.verifiedAt,
    )
