"""Issues in, groups out: parse, symbolicate and fingerprint each issue; group by fingerprint."""

from __future__ import annotations

from homeostat_core.fingerprint import fingerprint, is_minified_frame, lean_report
from homeostat_core.fingerprint_history import KnownFingerprints
from homeostat_core.intake import UnparseableIssue, parse_issue
from homeostat_core.models import (
    ErrorReport,
    ForgeIssue,
    RunRecord,
)
from homeostat_core.observability import logger
from homeostat_core.outcomes import (
    GAVE_UP_LABEL,
    OPTED_OUT_LABEL,
    REJECTED_LABEL,
    UNPARSEABLE_LABEL,
    Deferral,
    FingerprintOutcome,
    Result,
)
from homeostat_core.pipeline.context import (
    Group,
    RunContext,
)
from homeostat_core.ports import PortError, RateLimitLow
from homeostat_core.releases import browser_of, install_of
from homeostat_core.report.comments import render_unparseable_comment
from homeostat_core.report.markers import UNPARSEABLE_MARKER
from homeostat_core.sourcing.context import bundle_locator


def parse_and_group(
    ctx: RunContext, issues: list[ForgeIssue], outcomes: list, record: RunRecord
) -> list[Group]:
    """Group parseable issues by fingerprint. Issues Homeostat already answered (rejected, gave up,
    opted out) stay in their group only as evidence that the error is still reported; they get no
    new work. Issues carrying the opt-out label mark their fingerprint opted out (`opted_out`)."""
    groups: dict[str, Group] = {}
    known = KnownFingerprints(lambda fingerprint_id: _has_history(ctx, fingerprint_id))
    # Errors whose history could not be read (a store error): all their issues wait for the next
    # run together, as one deferred fingerprint, rather than some joining a group under a guess.
    unread: dict[str, tuple[list[int], PortError]] = {}
    first_seen: set[str] = set()  # current ids met in this run
    for issue in sorted(issues, key=lambda i: i.number):
        labels = {label.lower() for label in issue.labels}
        if UNPARSEABLE_LABEL in labels:
            continue  # already answered once; a person removes the label to retry
        answered = bool(labels & {REJECTED_LABEL, GAVE_UP_LABEL, OPTED_OUT_LABEL})
        opted_out = ctx.repo.opt_out_label.lower() in labels
        try:
            lean, current = lean_report(issue.title, issue.body, issue.labels, issue.number)
        except UnparseableIssue as exc:
            if not answered and not opted_out:
                outcomes.append(_answer_unparseable(ctx, issue, exc))
            continue
        except Exception as exc:  # a parser bug on one issue: that issue's error, not the run's
            outcomes.append(_intake_failed((issue.number,), exc, None))
            continue
        report = None  # the whole report, every frame mapped: parsed only where it is read
        try:
            if current is None:  # minified in-app frames: the id comes from the mapped source
                report = _whole_report(ctx, issue, record)
                current = fingerprint(report)
            if current.id in unread:
                unread[current.id][0].append(issue.number)
                continue
            if report is None and current.id not in first_seen:
                # the error's first report: older versions' ids (read from every frame) and the
                # group's report for the fix engine come from the whole report
                report = _whole_report(ctx, issue, record)
            first_seen.add(current.id)
            fp = known(report or lean, current)  # the current id, or the older one its history is under
            group = groups.get(fp.id)
            if report is None and not (opted_out or answered) and (group is None or not group.issues):
                report = _whole_report(ctx, issue, record)  # the group's first working report
            report = report or lean
        except RateLimitLow:
            raise  # stops the whole run: every later call would be refused too
        except PortError as exc:
            if current is not None:
                unread[current.id] = ([issue.number], exc)
            else:
                outcomes.append(_intake_failed((issue.number,), exc, None))
            continue
        except Exception as exc:  # no single issue stops its repository's run
            outcomes.append(_intake_failed((issue.number,), exc, current.id if current is not None else None))
            continue
        group = groups.setdefault(fp.id, Group(fingerprint=fp, report=report))
        group.versions[issue.number] = report.extension_version
        group.installs[issue.number] = install_of(report)
        group.browsers[issue.number] = browser_of(report)
        group.messages[issue.number] = report.message
        if opted_out:
            group.opted_out.append(issue)  # a person's decision about the whole fingerprint
        elif answered:
            group.answered.append(issue)
        else:
            if not group.issues:
                group.report = report
            group.issues.append(issue)
    outcomes.extend(_intake_failed(tuple(numbers), exc, fp_id) for fp_id, (numbers, exc) in unread.items())
    return list(groups.values())


def _whole_report(ctx: RunContext, issue: ForgeIssue, record: RunRecord) -> ErrorReport:
    """Every frame of the issue, minified ones mapped to their source where a map exists. The
    other issues of a group are read only as far as their fingerprint needs (lean_report)."""
    return _symbolicated(ctx, parse_issue(issue.title, issue.body, issue.labels, issue.number), record)


def _answer_unparseable(ctx: RunContext, issue: ForgeIssue, exc: UnparseableIssue) -> FingerprintOutcome:
    """Label and comment once; past the deadline nothing is written (the next run answers it)."""
    if ctx.deadline.near():
        return FingerprintOutcome(
            Result.DEFERRED, issues=(issue.number,), reason="deadline", deferral=Deferral.DEADLINE
        )
    ctx.forge.add_labels(ctx.repo, issue.number, [UNPARSEABLE_LABEL])
    comment = render_unparseable_comment(exc.reason)
    ctx.forge.comment_on_issue(ctx.repo, issue.number, comment, UNPARSEABLE_MARKER)
    # the code (e.g. no_frames) is counted on the run record; the sentence is what people read
    return FingerprintOutcome(Result.UNPARSEABLE, issues=(issue.number,), reason=exc.code, detail=exc.reason)


def _intake_failed(
    numbers: tuple[int, ...], exc: Exception, fingerprint_id: str | None
) -> FingerprintOutcome:
    detail = f"{type(exc).__name__}: {str(exc)[:300]}"
    if isinstance(exc, PortError):  # the store failed after its retries: the next run reads it again
        logger.warning("Issue deferred after a port error", extra={"issues": list(numbers), "error": detail})
        return FingerprintOutcome(
            Result.DEFERRED,
            issues=numbers,
            fingerprint=fingerprint_id,
            reason=f"error: {detail}",
            deferral=Deferral.PORT_ERROR,
        )
    logger.exception("Issue could not be read", extra={"issue": numbers[0]})
    return FingerprintOutcome(
        Result.ERROR, issues=numbers, fingerprint=fingerprint_id, reason="intake", detail=detail
    )


def _symbolicated(ctx: RunContext, report: ErrorReport, record: RunRecord) -> ErrorReport:
    """Minified in-app frames mapped to their original files and functions, when a map exists, so
    the fingerprint survives rebuilds and the fix engine reads the real source."""
    if not any(frame.in_app and is_minified_frame(frame) for frame in report.frames):
        return report
    # lazy: symbolic (native) loads only for minified frames
    from homeostat_core.symbolication.forge_maps import ForgeSourceMaps

    # lazy: symbolic (native) loads only for minified frames
    from homeostat_core.symbolication.symbolicate import ChainedSourceMaps, Symbolicator

    version = report.extension_version
    if version not in ctx.symbolicators:
        # maps uploaded for this version first, then the ones committed in the repository (one
        # store per run, so a committed map is fetched once whatever the number of versions)
        if ctx.committed_maps is None:
            # the bundle is found in the repository tree by the trace's path, like any frame
            locate = bundle_locator(ctx.sources)
            ctx.committed_maps = ForgeSourceMaps(ctx.forge, ctx.repo, ctx.repo.branch, locate)
        uploaded = ctx.ports.source_maps(ctx.repo, version) if ctx.ports.source_maps else None
        ctx.symbolicators[version] = Symbolicator(ChainedSourceMaps(uploaded, ctx.committed_maps))
    symbolicator = ctx.symbolicators[version]
    try:
        mapped, stats = symbolicator.symbolicate(report)
    except Exception as exc:  # a hostile map or frame: the report stays as it came, counted
        logger.exception("Symbolication failed", extra={"issue": report.issue_number})
        record.maps_skipped.append(f"symbolication failed: {type(exc).__name__}")
        record.frames_minified += sum(1 for f in report.frames if f.in_app and is_minified_frame(f))
        return report
    record.frames_symbolicated += stats.symbolicated
    record.frames_minified += stats.still_minified
    record.frames_unusable += stats.unusable_positions
    for where, reason in stats.skipped_maps:
        if f"{where}: {reason}" not in record.maps_skipped:
            record.maps_skipped.append(f"{where}: {reason}")
    return mapped


def _has_history(ctx: RunContext, fingerprint_id: str) -> bool:
    """An error attempted, fixed or learned under this id: under an older algorithm version it
    keeps that id (no second PR, no lost cooldown, the pattern still matches)."""
    return (
        ctx.attempts.get(ctx.repo.slug, fingerprint_id) is not None
        or ctx.ports.patterns.active_for_fingerprint(fingerprint_id) is not None
    )
