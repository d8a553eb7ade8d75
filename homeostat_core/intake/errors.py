"""The one exception intake raises: an issue that cannot become an ErrorReport."""

from __future__ import annotations

# Stable codes: the pipeline labels and comments by these, metrics count them.
UNPARSEABLE_CODES = (
    "too_large",
    "binary",
    "bad_title",
    "missing_error",
    "no_frames",
    "missing_breadcrumbs",
)


class UnparseableIssue(ValueError):
    """An issue that is not a usable logger report.

    `code` is a short stable identifier (one of UNPARSEABLE_CODES); `reason` is one sentence a
    person can act on, suitable for the explanatory comment on the issue.
    """

    def __init__(self, reason: str, code: str = "unparseable"):
        super().__init__(reason)
        self.reason = reason
        self.code = code

    def __repr__(self) -> str:
        return f"UnparseableIssue(code={self.code!r}, reason={self.reason!r})"
