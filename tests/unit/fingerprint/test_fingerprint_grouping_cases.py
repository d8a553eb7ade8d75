"""Issue #23's failure classes on the project's labelled cases (grouping_cases.py): positives share
one id, negatives stay apart, frames read as Sentry reads them, and through a filed issue the id
is the same as from the bare stack."""

from __future__ import annotations

from itertools import combinations

import pytest

from homeostat_core.fingerprint import fingerprint, fingerprint_stack
from homeostat_core.intake import parse_issue, parse_stack
from tests.unit.fingerprint.grouping_cases import GROUPS, NEGATIVES, all_cases


def _id(case):
    return fingerprint_stack(case.error_type, case.message, case.stack).id


@pytest.mark.parametrize("label", sorted(GROUPS))
def test_every_positive_group_gets_one_id(label):
    ids = {case.name: _id(case) for case in GROUPS[label]}
    assert len(set(ids.values())) == 1, ids


def test_every_group_has_its_own_id():
    # Given one id per label (the test above)
    by_label = {label: _id(cases[0]) for label, cases in GROUPS.items()}
    # Then no two labels share one: every pair across labels is apart
    clashes = [(a, b) for a, b in combinations(by_label, 2) if by_label[a] == by_label[b]]
    assert clashes == []


@pytest.mark.parametrize(("label", "other"), NEGATIVES)
def test_negatives_stay_apart_even_where_everything_else_matches(label, other):
    assert {_id(c) for c in GROUPS[label]}.isdisjoint({_id(c) for c in GROUPS[other]})


def test_the_seed_merges_or_splits_where_homeostat_does_not():
    # The naive type + file + message hash: some positive group split, some negative pair merged
    import sys

    from tests.conftest import REPO_ROOT

    sys.path.insert(0, str(REPO_ROOT / "bench"))
    from seed_fingerprint import seed_fingerprint_id

    def seed(case):
        return seed_fingerprint_id(case.error_type, case.message, case.stack)

    split = [label for label, cases in GROUPS.items() if len({seed(c) for c in cases}) > 1]
    merged = [(a, b) for a, b in NEGATIVES if {seed(c) for c in GROUPS[a]} & {seed(c) for c in GROUPS[b]}]
    assert len(split) >= 8 and merged


@pytest.mark.parametrize(
    ("label", "case"),
    [(label, case) for label, case in all_cases() if case.frames],
    ids=lambda v: getattr(v, "name", v),
)
def test_frames_read_as_sentry_reads_them(label, case):
    frames = parse_stack(case.stack)
    assert [(f.function, f.file, f.line, f.column) for f in frames] == list(case.frames)


@pytest.mark.parametrize(("label", "case"), all_cases(), ids=lambda v: getattr(v, "name", v))
def test_every_case_parses_as_a_filed_extension_issue_with_the_same_id(label, case):
    body = (
        f"## Error Details\n- Extension: NoteBridge v1.2.0\n- Error Type: {case.error_type}\n"
        f"- Message: {case.message}\n\n## Stack Trace\n```\n{case.stack}\n```\n\n## Breadcrumbs\n1. Popup opened\n"
    )
    report = parse_issue(f"[NoteBridge] {case.error_type}: {case.message}", body, ["robot"])
    assert report.frames and fingerprint(report).id == _id(case)
