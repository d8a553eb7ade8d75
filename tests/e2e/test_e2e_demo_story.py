"""`homeostat local demo` (what `make demo` runs) tells the truth, line by line (issue 15, item 3)."""

from __future__ import annotations

import json
import re

import pytest

from homeostat_core import cli


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import contextlib
    import io

    state = tmp_path_factory.mktemp("demo") / "state"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["local", "demo", "--state", str(state)]) == 0
    return state, out.getvalue()


@pytest.mark.slow
def test_the_path_filter_rejection_is_a_model_proposal_rejected_by_validation(demo):
    state, output = demo
    line = " ".join(output.split()).split("littlebearapps/notebridge issues #1:", 1)[1][:200]
    assert line.startswith(" rejected (path_filtered: lib/analytics.js is outside the repo's path filters")
    # The scripted model was asked, and answered with the lib/ edit (not an earlier no_source stop)
    log = [json.loads(x) for x in (state / "homeostat.log").read_text().splitlines() if x.startswith("{")]
    assert not any(entry.get("reason") == "no_source" for entry in log)


@pytest.mark.slow
def test_the_console_uses_the_tables_word_for_rejections(demo):
    _, output = demo
    assert "failed (path_filtered" not in output and "rejected (path_filtered" in " ".join(output.split())


@pytest.mark.slow
def test_step_four_reports_what_its_run_record_says(demo):
    _, output = demo
    step4 = output.split("== 4.", 1)[1]
    assert "no model call" not in step4.splitlines()[0]  # the header promises nothing
    summary = " ".join(step4.split("summary:", 1)[1].split())
    assert summary.startswith(
        "littlebearapps/palette-kit #3: fixed from the pattern library, no model call, $0."
    )
    # the deferred convert-my-file bug gets its PR from a model in the same run, and the summary says so
    models = len(re.findall(r"opened PR #\d+ from tier \d", step4))
    assert f"Whole run: {models} fingerprint(s) sent to a model" in summary and models >= 1


@pytest.mark.slow
def test_every_line_fits_100_columns(demo):
    _, output = demo
    assert [line for line in output.splitlines() if len(line) > 100] == []
