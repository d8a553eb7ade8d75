"""`/homeostat <command>` in a comment, and what Homeostat answers a writer with."""

from __future__ import annotations

from homeostat_core.models import AttemptState
from homeostat_core.report.inert import code_span

COMMAND_PREFIX = "/homeostat"
COMMANDS = {
    "retry": "a new attempt now (it counts against the attempt cap)",
    "stop": "stop working on this error: the same as the opt-out label (PR closed, branch deleted)",
    "explain": "what the model was shown (files and line windows), the tier, the attempts and the cost",
}
HELP_MARKER = "<!-- homeostat:steering-help -->"
EXPLAIN_MARKER = "<!-- homeostat:steering-explain -->"
REPLY_MARKER = "<!-- homeostat:steering-reply -->"


def parse_command(body: str) -> str | None:
    """The command word of a comment whose first line is `/homeostat <word>` ("" for the bare
    prefix), or None when the comment is not a command."""
    first = (body or "").strip().splitlines()[0] if (body or "").strip() else ""
    words = first.split()
    if not words or words[0].lower() != COMMAND_PREFIX:
        return None
    return words[1].lower() if len(words) > 1 else ""


def help_text(word: str) -> str:
    said = f"{code_span(f'{COMMAND_PREFIX} {word}'.strip())} is not a command I know. " if word else ""
    lines = [f"- {code_span(f'{COMMAND_PREFIX} {name}')}: {what}" for name, what in COMMANDS.items()]
    return (
        f"{said}Commands, from people with write access, on Homeostat's PR or on an issue it fixes:\n\n"
        + "\n".join(lines)
        + "\n\nA review that requests changes, or a review comment, on Homeostat's PR gets a new commit "
        "on the same PR that addresses it (within the attempt cap and the daily budget).\n"
    )


def explain_text(
    state: AttemptState | None, context: dict, total_cost: float | None, max_attempts: int
) -> str:
    """One comment: the file and windows the model is shown for this error, tier, attempts, cost."""
    lines = ["**What Homeostat showed the model for this error**", ""]
    if context.get("filePath"):
        resolution = context.get("resolution") or {}
        confidence = resolution.get("confidence", 1.0)
        guess = f", confidence {confidence:.0%}" if confidence < 1 else ""
        lines.append(f"- File: {code_span(context['filePath'])} (found by {context['resolvedBy']}{guess})")
    else:
        lines.append("- File: none found in the repository for this report's stack")
    if context.get("windows"):
        lines.append("- Windows (lines of the base branch as it reads now):")
        lines += [
            f"  - {code_span(w['path'])} lines {w['start']}–{w['end']}: {w['why']}"
            for w in context["windows"]
        ]
    if state is None or state.attempts == 0:
        lines.append("- No attempt yet")
    else:
        lines.append(f"- Tier: {state.tier if state.tier is not None else 'none (a learned pattern)'}")
        lines.append(f"- Attempts: {state.attempts} of {max_attempts}")
        spent = total_cost if total_cost is not None else state.cost_usd
        lines.append(f"- Cost: ${state.cost_usd:.4f} for the last attempt, ${spent:.4f} on this PR in all")
    return "\n".join(lines) + "\n"


def refusal_text(why: str) -> str:
    return f"Homeostat is not starting a new attempt: {why}.\n"
