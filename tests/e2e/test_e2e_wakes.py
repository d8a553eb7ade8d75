"""`homeostat local add-issue` wakes the lane as the webhook would: the report's draft PR comes from
an event-driven run within the minute on the local clock, not from the next 6-hour sweep."""

from __future__ import annotations

import re

from homeostat_core import cli
from homeostat_core.local.runner import EXAMPLES


def test_a_filed_report_becomes_a_draft_pr_minutes_later_through_the_webhook_and_the_waker(tmp_path, capsys):
    state = tmp_path / "state"
    assert cli.main(["local", "run", "--state", str(state)]) == 0
    capsys.readouterr()
    report = EXAMPLES / "later" / "palette-kit-notes-json.md"
    assert (
        cli.main(["local", "add-issue", "--state", str(state), "littlebearapps/palette-kit", str(report)])
        == 0
    )
    out = " ".join(capsys.readouterr().out.split())
    filed = re.search(r"filed issue #(\d+) in littlebearapps/palette-kit at (\d\d):(\d\d):(\d\d)", out)
    assert filed, out
    assert "issues webhook: wake queued for littlebearapps/palette-kit" in out
    assert "one run of littlebearapps/palette-kit queued in its lane" in out
    assert re.search(rf"issues #{filed.group(1)}: opened draft PR #\d+", out), out
    minutes = float(re.search(r"([0-9.]+) minutes from the report to its run's end", out).group(1))
    assert 0.5 <= minutes < 1.0  # palette-kit's 30-second debounce (bundled repos.yml), then the run


def test_no_wake_only_files_the_report(tmp_path, capsys):
    state = tmp_path / "state"
    assert cli.main(["local", "run", "--state", str(state)]) == 0
    capsys.readouterr()
    report = EXAMPLES / "later" / "palette-kit-notes-json.md"
    args = [
        "local",
        "add-issue",
        "--state",
        str(state),
        "--no-wake",
        "littlebearapps/palette-kit",
        str(report),
    ]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "filed issue #" in out and "webhook" not in out and "draft PR" not in out
