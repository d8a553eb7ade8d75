"""The pipeline symbolicates minified frames before fingerprinting, and keeps old ids' history."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from homeostat_core.adapters.source_maps import DirectorySourceMaps
from homeostat_core.intake.issue_file import read_issue_markdown
from tests.reliability.harness import EXAMPLES
from tests.unit.lifecycle.world import make_world

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sourcemaps"


def bundled_world(tmp_path, release: str = "v1.1.0"):
    """notebridge with a release's sources and its minified bundle + map committed under dist/."""
    w = make_world(tmp_path)
    source = tmp_path / "source"
    shutil.copytree(EXAMPLES / "repos" / "notebridge", source)
    for part in ("src", "dist"):
        shutil.copytree(FIXTURES / release / part, source / part, dirs_exist_ok=True)
    w.forge.seed_repo(w.repo, source)
    return w


def file_release(w, release: str) -> int:
    path = FIXTURES / release / "issue.md"
    issue = read_issue_markdown(path.read_text(), str(path))
    return w.forge.add_issue(w.repo, issue.title, issue.body, ["robot"], "cloakpipe-bot")


def test_a_minified_frame_is_fingerprinted_by_its_original_source_via_the_committed_map(tmp_path):
    # Given a repository that commits its bundle's source map, and a report from that release
    w = bundled_world(tmp_path)
    file_release(w, "v1.1.0")
    # When Homeostat runs
    record = w.run()
    # Then the fingerprint names the original source file, not the bundle, and the record says so
    assert record.frames_symbolicated >= 1
    (outcome,) = [o for o in record.outcomes if o.get("fingerprint")]
    assert outcome["file"].startswith("src/") and "dist/" not in outcome["file"]


def test_two_releases_of_the_same_bug_are_one_fingerprint_with_per_version_maps(tmp_path):
    # Given maps per extension version (as the S3 bucket holds them) and reports from two releases
    w = bundled_world(tmp_path)
    first, second = file_release(w, "v1.0.0"), file_release(w, "v1.1.0")
    ports = dataclasses.replace(
        w.ports, source_maps=lambda repo, version: DirectorySourceMaps(FIXTURES / f"v{version}")
    )
    from homeostat_core.fixing.model_settings import load_model_settings
    from homeostat_core.pipeline import run_repo

    record = run_repo(
        w.repo,
        ports,
        model_settings=load_model_settings(environ={"HOMEOSTAT_LLM_BASE_URL": "http://127.0.0.1:9/v1"}),
        env="dev",
    )
    # Then both reports are one piece of work on the original file
    (outcome,) = [o for o in record.outcomes if o.get("fingerprint")]
    assert sorted(outcome["issues"]) == [first, second]
    assert outcome["file"].startswith("src/")
    assert record.frames_symbolicated >= 2 and record.frames_minified == 0


def test_without_maps_the_minified_frames_are_counted_on_the_run_record(tmp_path):
    w = make_world(tmp_path)
    file_release(w, "v1.0.0")
    record = w.run()
    assert record.frames_symbolicated == 0 and record.frames_minified >= 1


def test_an_error_attempted_under_the_previous_fingerprint_version_keeps_its_history(tmp_path):
    from datetime import timedelta

    from homeostat_core.fingerprint_history import fingerprint_with_history
    from homeostat_core.intake import parse_issue
    from homeostat_core.models import AttemptState

    # Given a report whose id changed with the algorithm (a per-build hash folder in the path is
    # stripped since 2026-12), attempted under its old id yesterday
    w = make_world(tmp_path)
    built = "chrome-extension://hpoiebnmdefkcpbbhiegdgnhlmbmlbkn/3f9a2b1c/src/lib/storage.js"
    number = w.file_issue(
        stack=f"SyntaxError: bad JSON\n    at loadNotes ({built}:6:15)\n    at async {built}:14:23"
    )
    issue = w.forge.get_issue(w.repo, number)
    fp = fingerprint_with_history(parse_issue(issue.title, issue.body, issue.labels))
    assert fp.previous_ids and fp.previous_ids[0] != fp.id
    old = fp.previous_ids[0]
    w.state.attempts.start_attempt(
        AttemptState(
            repo=w.repo.slug,
            fingerprint_id=old,
            attempts=1,
            stage="attempt_failed",
            last_result="failure",
            last_attempt_at=w.clock.now(),
            backoff_until=w.clock.now() + timedelta(hours=24),
        ),
        expected_attempts=0,
    )
    # When the run meets it again
    record = w.run()
    # Then its cooldown still holds under the old id: no new attempt, no model call
    (outcome,) = record.outcomes
    assert (outcome["result"], outcome["fingerprint"]) == ("cooldown", old)
    assert w.model.calls == []


def test_the_run_reads_uploaded_maps_per_version_then_committed_ones(tmp_path, monkeypatch):
    import boto3
    from moto import mock_aws

    from homeostat_core.adapters.wiring import source_maps_for
    from homeostat_core.fixing.model_settings import load_model_settings
    from homeostat_core.pipeline import run_repo
    from homeostat_core.settings import Settings

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    # Given v1.0.0's map uploaded to the bucket and v1.1.0's committed in the repository
    w = bundled_world(tmp_path)
    first, second = file_release(w, "v1.0.0"), file_release(w, "v1.1.0")
    # and a hotfix build 1.1.1 of the same bundle, with no upload either
    issue = (FIXTURES / "v1.1.0" / "issue.md").read_text().replace("v1.1.0", "v1.1.1")
    hotfix = read_issue_markdown(issue, "hotfix.md")
    third = w.forge.add_issue(w.repo, hotfix.title, hotfix.body, ["robot"], "cloakpipe-bot")
    reads = []
    real_read = w.forge.read_file
    w.forge.read_file = lambda repo, path, ref=None: (reads.append(path), real_read(repo, path, ref=ref))[1]
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="maps")
        for name in ("background.js", "background.js.map"):
            key = f"{w.repo.slug}/1.0.0/dist/{name}"
            s3.put_object(Bucket="maps", Key=key, Body=(FIXTURES / "v1.0.0" / "dist" / name).read_bytes())
        maps = source_maps_for(Settings(sourcemaps_bucket="maps", region="us-east-1"))
        assert maps(w.repo, None) is None  # no version, nothing uploaded to look in
        record = run_repo(
            w.repo,
            dataclasses.replace(w.ports, source_maps=maps),
            model_settings=load_model_settings(environ={"HOMEOSTAT_LLM_BASE_URL": "http://127.0.0.1:9/v1"}),
            env="dev",
        )
    # Then both releases map to the original file (one from S3, one committed): one piece of work
    (outcome,) = [o for o in record.outcomes if o.get("fingerprint")]
    assert sorted(outcome["issues"]) == [first, second, third] and outcome["file"].startswith("src/")
    assert record.frames_symbolicated >= 3 and record.frames_minified == 0
    # and the committed bundle was read from the forge once for the run, not once per version
    assert reads.count("dist/background.js") == 1
