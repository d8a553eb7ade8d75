"""The fix engine: from an error to validated edits, climbing tiers until one works or all fail.

Per tier, `tries_per_tier` tries (default 2); every try after the first is told why the last one
failed. Tier 1 asks the cheap model; tier 2 has the cheap model draft and the strong model review
(and correct); tier 3 asks the strong model. Every call's usage is priced from the model settings.
Forge errors while reading files propagate (the pipeline records them; a PortError raised after
model calls carries their cost as `spent_usd`); model errors are tries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from homeostat_core.config import RepoConfig
from homeostat_core.fixing.edits import EditFormatError, ModelReply, parse_model_reply
from homeostat_core.fixing.model_settings import ModelSettings, ModelSpec, Price, load_model_settings
from homeostat_core.fixing.prompts import (
    Messages,
    PromptContext,
    build_fix_messages,
    build_review_messages,
    load_context,
)
from homeostat_core.fixing.tiers import STRONG_ONLY_TIER, RoutePlan, plan_route, sensitive_among
from homeostat_core.fixing.validation import (
    PARSE_ERROR,
    REASON_CODES,
    SYNTAX_ERROR,
    Rejection,
    ValidatedChange,
    validate_edits,
)
from homeostat_core.models import (
    ChatResponse,
    ErrorFingerprint,
    ErrorReport,
    FileEdit,
    FixFailure,
    PatternMatch,
    ProposedFix,
    TokenUsage,
)
from homeostat_core.observability import logger
from homeostat_core.ports import ChatModel, Forge, LlmError, PortError
from homeostat_core.sourcing.locate import no_source_detail
from homeostat_core.sourcing.sources import RepoSources

# Engine-level reason codes (validation codes are in validation.REASON_CODES).
NO_FRAMES = "no_frames"  # the report has no location at all: nothing to look at, never a guess
NO_SOURCE = "no_source"
PROMPT_TOO_LARGE = "prompt_too_large"
MODEL_DECLINED = "model_declined"
SENSITIVE_PATH = "sensitive_path"
# A fix that failed only because no model answered (and so cost nothing) is not the
# fingerprint's fault: the attempt is given back and the issues wait for the next run.
MODEL_UNAVAILABLE_REASONS = frozenset({"llm_timeout", "llm_rate_limit", "llm_server", "llm_auth"})
# The invocation's time ran out between tries (or cut a model call short): the fix stopped cleanly;
# the caller defers it to the run's continuation rather than counting an attempt.
STOPPED_BY_DEADLINE = "deadline"
LLM_ERROR_PREFIX = (
    "llm_"  # + LlmError.kind: llm_timeout, llm_rate_limit, llm_server, llm_bad_request, llm_auth
)


def cost_of(usage: TokenUsage, price: Price) -> float:
    """US dollars for one call: uncached input, cached input and output at their own rates."""
    cached = min(usage.cached, usage.prompt)
    uncached = usage.prompt - cached
    return (
        uncached * price.input + cached * price.cached_input + usage.completion * price.output
    ) / 1_000_000


def _call_bound(spec: ModelSpec, prompt_tokens: int, safety: float) -> float:
    return (
        prompt_tokens * safety * spec.price.input + spec.max_output_tokens * spec.price.output
    ) / 1_000_000


def max_attempt_cost_usd(model_settings: ModelSettings | None = None) -> float:
    """A conservative upper bound of one attempt_fix call, for budget reservation.

    Every try of every tier at the prompt cap (× the estimate's safety factor, all uncached) and
    the full output cap. Transport retries of a timed-out call are not counted.
    """
    s = model_settings or load_model_settings()
    cheap = _call_bound(s.cheap, s.max_prompt_tokens, s.prompt_token_safety_factor)
    strong = _call_bound(s.strong, s.max_prompt_tokens, s.prompt_token_safety_factor)
    review = _call_bound(
        s.strong, s.max_prompt_tokens + s.cheap.max_output_tokens, s.prompt_token_safety_factor
    )
    return s.tries_per_tier * (cheap + (cheap + review) + strong)


@dataclass(slots=True)
class _Ledger:
    usage: TokenUsage = TokenUsage()
    cost_usd: float = 0.0
    calls: int = 0


@dataclass(slots=True)
class _TryFailure:
    reason: str
    detail: str

    def feedback(self) -> str:
        return f"{self.reason}: {self.detail}"


@dataclass(slots=True)
class _Run:
    """Mutable state of one attempt_fix call."""

    ctx: PromptContext
    repo_config: RepoConfig
    settings: ModelSettings
    llm: ChatModel
    read: _CachedReader
    ledger: _Ledger = field(default_factory=_Ledger)
    cheap_allowed: bool = True
    strong_allowed: bool = True
    tried_tiers: list[int] = field(default_factory=list)
    out_of_time: bool = False  # a model call was refused or cut short by the deadline
    plan: RoutePlan | None = None  # the route it started on (why its tier, for the PR body)


class _CachedReader:
    """forge.read_file with a per-attempt cache (files do not change within one attempt); `cache`
    starts from the files the context already read."""

    def __init__(self, forge: Forge, repo_config: RepoConfig, cache: dict[str, str | None] | None = None):
        self._forge = forge
        self._repo = repo_config
        self._cache: dict[str, str | None] = cache if cache is not None else {}

    def __call__(self, path: str) -> str | None:
        if path not in self._cache:
            self._cache[path] = self._forge.read_file(self._repo, path)
        return self._cache[path]


def _call(run: _Run, cheap: bool, messages: Messages, tier: int, role: str) -> ChatResponse | LlmError:
    spec = run.settings.cheap if cheap else run.settings.strong
    try:
        response = run.llm.complete(
            base_url=spec.base_url,
            api_key_name=spec.api_key_env,
            model=spec.model,
            messages=messages,
            max_tokens=spec.max_output_tokens,
        )
    except LlmError as exc:
        logger.warning(
            "fix model call failed", extra={"tier": tier, "role": role, "model": spec.model, "kind": exc.kind}
        )
        if exc.kind == "deadline":
            run.out_of_time = True
        if exc.kind == "auth":
            # a missing or refused key will not work on the next try either
            if cheap:
                run.cheap_allowed = False
            else:
                run.strong_allowed = False
        return exc
    cost = cost_of(response.usage, spec.price)
    run.ledger.usage = run.ledger.usage + response.usage
    run.ledger.cost_usd += cost
    run.ledger.calls += 1
    logger.info(
        "fix model call",
        extra={
            "tier": tier,
            "role": role,
            "model": response.model,
            "prompt_tokens": response.usage.prompt,
            "completion_tokens": response.usage.completion,
            "cached_tokens": response.usage.cached,
            "cost_usd": round(cost, 6),
        },
    )
    return response


def _llm_failure(exc: LlmError) -> _TryFailure:
    return _TryFailure(f"{LLM_ERROR_PREFIX}{exc.kind}", str(exc))


def _evaluate(run: _Run, content: str, from_cheap: bool) -> tuple[ModelReply, ValidatedChange] | _TryFailure:
    try:
        reply = parse_model_reply(content)
    except EditFormatError as exc:
        return _TryFailure(PARSE_ERROR, f"{exc}. Answer with one JSON object in the required format only.")
    if not reply.edits:
        return _TryFailure(MODEL_DECLINED, reply.summary)
    sensitive = sensitive_among((e.path for e in reply.edits), run.repo_config)
    if sensitive and from_cheap:
        # privacy routing: sensitive files are for the strong model only, from now on
        run.cheap_allowed = False
        return _TryFailure(SENSITIVE_PATH, f"edits touch sensitive files {', '.join(sensitive)}")
    checked = validate_edits(reply.edits, run.repo_config, run.read, twin_sets=run.ctx.twin_sets)
    if isinstance(checked, Rejection):
        return _TryFailure(checked.reason_code, checked.detail)
    return reply, checked


def _proposed(reply: ModelReply, change: ValidatedChange, run: _Run, tier: int, model: str) -> ProposedFix:
    return ProposedFix(
        edits=change.edits,
        changes=change.changes,
        summary=reply.summary,
        source="ai",
        tier=tier,
        model=model,
        cost_usd=run.ledger.cost_usd,
        usage=run.ledger.usage,
        diff=change.diff,
        lines_changed=change.lines_changed,
        resolution=run.ctx.resolution,
        route=_route_words(run, tier),
        windows=tuple(_window_words(t) for t in run.ctx.targets),
    )


def _route_words(run: _Run, tier: int) -> str:
    """Why the fix came from this tier, in a reviewer's words."""
    plan = run.plan
    if plan is None:
        return ""
    if plan.sensitive:
        return f"sensitive path {', '.join(plan.sensitive_paths)}: strong model only"
    if tier == STRONG_ONLY_TIER and not run.cheap_allowed:
        return "the cheaper model's edits touched sensitive files: strong model only"
    if tier == plan.start_tier:
        return f"complexity score {plan.complexity.score}: tier {tier} first"
    return (
        f"complexity score {plan.complexity.score} started at tier {plan.start_tier}, "
        f"which gave no valid fix: tier {tier}"
    )


def _window_words(target) -> str:
    first, last = target.span or (target.line, target.line)
    lines = f"{first}-{last}" if last != first else str(first)
    return f"{target.path}:{lines}"


def _try_single(run: _Run, tier: int, cheap: bool, previous: str | None) -> ProposedFix | _TryFailure:
    prompt = build_fix_messages(run.ctx, run.settings, previous_failure=previous)
    if not prompt.fits:
        return _TryFailure(PROMPT_TOO_LARGE, f"~{prompt.estimated_tokens} tokens over the cap")
    response = _call(run, cheap, prompt.messages, tier, "writer")
    if isinstance(response, LlmError):
        return _llm_failure(response)
    outcome = _evaluate(run, response.content, from_cheap=cheap)
    if isinstance(outcome, _TryFailure):
        return outcome
    return _proposed(*outcome, run, tier, response.model)


def _try_reviewed(run: _Run, previous: str | None) -> ProposedFix | _TryFailure:
    tier = 2
    writer = build_fix_messages(run.ctx, run.settings, previous_failure=previous)
    if not writer.fits:
        return _TryFailure(PROMPT_TOO_LARGE, f"~{writer.estimated_tokens} tokens over the cap")
    draft = _call(run, True, writer.messages, tier, "writer")
    draft_text = None if isinstance(draft, LlmError) else draft.content
    draft_problem = None
    if draft_text is not None:
        checked = _evaluate(run, draft_text, from_cheap=True)
        draft_problem = checked.feedback() if isinstance(checked, _TryFailure) else None
        if isinstance(checked, _TryFailure) and checked.reason == SENSITIVE_PATH:
            draft_text, draft_problem = None, None  # a sensitive draft is dropped, the reviewer writes
        elif isinstance(checked, _TryFailure) and checked.reason in _FREE_REJECTIONS:
            # Free checks (paths, file types, sizes, content policy) refused the draft: the try
            # fails with that reason, and no paid reviewer is asked to review a refused fix.
            return checked
    review = build_review_messages(
        run.ctx, run.settings, draft=draft_text, draft_problem=draft_problem, previous_failure=previous
    )
    if not review.fits:
        return _TryFailure(PROMPT_TOO_LARGE, f"~{review.estimated_tokens} tokens over the cap")
    response = _call(run, False, review.messages, tier, "reviewer")
    if isinstance(response, LlmError):
        return _llm_failure(response)
    outcome = _evaluate(run, response.content, from_cheap=False)
    if isinstance(outcome, _TryFailure):
        return outcome
    model = response.model if isinstance(draft, LlmError) else f"{draft.model}+{response.model}"
    return _proposed(*outcome, run, tier, model)


def _tier_usable(run: _Run, tier: int) -> bool:
    if tier == 1:
        return run.cheap_allowed
    if tier == 2:
        return run.cheap_allowed and run.strong_allowed
    return run.strong_allowed


def _run_try(run: _Run, tier: int, previous: str | None) -> ProposedFix | _TryFailure:
    if tier == 1:
        return _try_single(run, tier, True, previous)
    if tier == 2:
        return _try_reviewed(run, previous)
    return _try_single(run, tier, False, previous)


def attempt_fix(
    error: ErrorReport,
    fingerprint: ErrorFingerprint,
    repo_config: RepoConfig,
    forge: Forge,
    llm: ChatModel,
    *,
    model_settings: ModelSettings | None = None,
    pattern_hint: PatternMatch | None = None,
    ci_failure: str | None = None,
    sources: RepoSources | None = None,
    deadline=None,
    instruction: str | None = None,
    current_edits: tuple[FileEdit, ...] = (),
) -> ProposedFix | FixFailure:
    """Validated edits for `error`, or a FixFailure with the last reason and the total cost.

    `sources`: the repository as this run sees it (one tree listing per run); one is made when
    the caller has none. `deadline` (ports.Deadline): checked before every try; when it is near,
    or a model call was refused or cut short for lack of time, the fix stops with reason
    STOPPED_BY_DEADLINE. `instruction`: a maintainer's review of the fix `current_edits`, both shown to the model."""
    settings = model_settings or load_model_settings()
    if not any(frame.path for frame in error.frames):
        return FixFailure(NO_FRAMES, "the report names no file and line, so there is no code to look at")
    sources = sources or RepoSources(forge, repo_config)
    reader = _CachedReader(forge, repo_config, sources.texts)
    ctx = load_context(
        error,
        fingerprint,
        repo_config,
        sources,
        pattern_hint=pattern_hint,
        ci_failure=ci_failure,
        instruction=instruction,
        current_edits=current_edits,
    )
    if not ctx.has_source:
        return FixFailure(NO_SOURCE, no_source_detail(ctx.resolution), resolution=ctx.resolution)
    hint_paths = [e.path for e in pattern_hint.pattern.edits] if pattern_hint else []
    plan = plan_route(error, repo_config, settings, hint_paths)
    logger.info(
        "fix route",
        extra={
            "fingerprint": fingerprint.id,
            "start_tier": plan.start_tier,
            "score": plan.complexity.score,
            "sensitive": plan.sensitive,
        },
    )
    run = _Run(ctx=ctx, repo_config=repo_config, settings=settings, llm=llm, read=reader, plan=plan)
    run.cheap_allowed = not plan.sensitive
    try:
        return _climb(run, plan, settings, deadline)
    except PortError as exc:
        # A forge error while validating (after model calls): tag it with what the calls cost,
        # so the caller can settle the budget to the real spend instead of refunding it all.
        exc.spent_usd = run.ledger.cost_usd
        raise


def _climb(run: _Run, plan, settings: ModelSettings, deadline=None) -> ProposedFix | FixFailure:
    failures: list[str] = []
    last = _TryFailure("no_tier", "no tier could be tried")
    last_tier = 0
    for tier in plan.tiers:
        for attempt in range(1, settings.tries_per_tier + 1):
            if not _tier_usable(run, tier):
                break
            if run.out_of_time or (deadline is not None and deadline.near()):
                stop = _TryFailure(
                    STOPPED_BY_DEADLINE, "the run's time is nearly up; the fix continues later"
                )
                return _failure(stop, failures, run, tier)
            outcome = _run_try(run, tier, last.feedback() if failures else None)
            if isinstance(outcome, ProposedFix):
                return outcome
            last, last_tier = outcome, tier
            failures.append(f"tier {tier} try {attempt}: {outcome.reason}")
            logger.info("fix try failed", extra={"tier": tier, "try": attempt, "reason": outcome.reason})
            if outcome.reason == PROMPT_TOO_LARGE:
                return _failure(last, failures, run, tier)
            if outcome.reason == SENSITIVE_PATH and tier < STRONG_ONLY_TIER:
                break
    return _failure(last, failures, run, last_tier)


def _failure(last: _TryFailure, failures: list[str], run: _Run, tier: int) -> FixFailure:
    detail = f"{last.detail} (tries: {'; '.join(failures)})" if failures else last.detail
    return FixFailure(
        reason=last.reason,
        detail=detail,
        cost_usd=run.ledger.cost_usd,
        usage=run.ledger.usage,
        tier=tier,
        resolution=run.ctx.resolution,
    )


def apply_pattern(match: PatternMatch, repo_config: RepoConfig, forge: Forge) -> ProposedFix | FixFailure:
    """A stored pattern's edits, validated against the current files exactly like a model's."""
    pattern = match.pattern
    checked = validate_edits(pattern.edits, repo_config, _CachedReader(forge, repo_config))
    if isinstance(checked, Rejection):
        return FixFailure(
            reason=checked.reason_code, detail=f"pattern {pattern.pattern_id}: {checked.detail}"
        )
    return ProposedFix(
        edits=checked.edits,
        changes=checked.changes,
        summary=f"Applied learned fix pattern {pattern.pattern_id} ({pattern.error_type} in {pattern.file_path}).",
        source="pattern",
        cost_usd=0.0,
        pattern_id=pattern.pattern_id,
        confidence=match.confidence,
        pattern_strategy=match.strategy,
        diff=checked.diff,
        lines_changed=checked.lines_changed,
    )


# Validation codes that say the model's edits were unusable (not that a policy refused them).
_MODEL_QUALITY = frozenset(
    {"edit_not_found", "edit_ambiguous", "file_not_found", "no_edits", "no_change", PARSE_ERROR}
)
# A policy refused the fix: the issues get `homeostat-rejected` and one comment naming the reason.
REJECTION_REASONS = (frozenset(REASON_CODES) - _MODEL_QUALITY) | {NO_FRAMES, NO_SOURCE, SENSITIVE_PATH}
# What validation refuses for free, by policy (not a flaw a reviewer could correct).
_FREE_REJECTIONS = frozenset(REASON_CODES) - _MODEL_QUALITY - {SYNTAX_ERROR}


__all__ = [
    "MODEL_UNAVAILABLE_REASONS",
    "REJECTION_REASONS",
    "LLM_ERROR_PREFIX",
    "MODEL_DECLINED",
    "NO_FRAMES",
    "NO_SOURCE",
    "PROMPT_TOO_LARGE",
    "SENSITIVE_PATH",
    "STOPPED_BY_DEADLINE",
    "apply_pattern",
    "attempt_fix",
    "cost_of",
    "max_attempt_cost_usd",
]
