"""Where maps come from: committed in the repository (sourceMappingURL at the base branch), the
S3 bucket filled by `homeostat sourcemaps upload` (moto), and chains of both."""

from __future__ import annotations

import base64

import boto3
import pytest
from moto import mock_aws

from homeostat_core.adapters.source_maps import S3SourceMaps
from homeostat_core.cli import main
from homeostat_core.config import PathFilters, RepoConfig
from homeostat_core.fingerprint import fingerprint
from homeostat_core.ports import SourceMapRejected
from homeostat_core.symbolication import ChainedSourceMaps, ForgeSourceMaps, Symbolicator, symbolicate
from tests.unit.symbolication.helpers import FIXTURES, report_from

RELEASE = FIXTURES / "v1.0.0"
BUNDLE = (RELEASE / "dist" / "background.js").read_text()
MAP = (RELEASE / "dist" / "background.js.map").read_text()


class FilesAtRef:
    """The Forge's read_file over a dict of {(path, ref): text}; records what was read."""

    def __init__(self, files: dict[tuple[str, str], str]):
        self.files = files
        self.reads: list[tuple[str, str | None]] = []

    def read_file(self, repo, path, ref=None):
        self.reads.append((path, ref))
        return self.files.get((path, ref or repo.branch))


@pytest.fixture
def repo():
    return RepoConfig(
        slug="acme/notebridge",
        branch="main",
        max_prs_per_run=1,
        labels=(),
        path_filters=PathFilters(include=("src",)),
    )


def test_committed_map_found_through_source_mapping_url_at_the_base_branch(repo):
    forge = FilesAtRef({("dist/background.js", "main"): BUNDLE, ("dist/background.js.map", "main"): MAP})
    report, stats = symbolicate(report_from("v1.0.0"), ForgeSourceMaps(forge, repo, "main"))
    assert stats.symbolicated == 3 and fingerprint(report).file_path == "src/lib/storage.js"
    # And the bundle was read once (cached per report), at the base branch
    assert forge.reads == [("dist/background.js", "main"), ("dist/background.js.map", "main")]


def test_inline_data_url_map(repo):
    inline = "//# sourceMappingURL=data:application/json;base64," + base64.b64encode(MAP.encode()).decode()
    bundle = BUNDLE.rsplit("//# sourceMappingURL=", 1)[0] + inline + "\n"
    forge = FilesAtRef({("dist/background.js", "main"): bundle})
    report, stats = symbolicate(report_from("v1.0.0"), ForgeSourceMaps(forge, repo, "main"))
    assert stats.symbolicated == 3


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://cdn.example.com/background.js.map", "outside the repository"),
        ("../../../secrets.map", "outside the repository"),
        ("/etc/background.js.map", "outside the repository"),
        ("missing.js.map", "not in the repository at the base branch"),
    ],
)
def test_a_source_mapping_url_that_leaves_the_repo_or_is_missing_is_skipped(repo, url, reason):
    bundle = BUNDLE.rsplit("//# sourceMappingURL=", 1)[0] + f"//# sourceMappingURL={url}\n"
    forge = FilesAtRef({("dist/background.js", "main"): bundle, ("dist/background.js.map", "main"): MAP})
    original = report_from("v1.0.0")
    report, stats = symbolicate(original, ForgeSourceMaps(forge, repo, "main"))
    assert report.frames == original.frames
    assert reason in stats.skipped_maps[0][1]
    assert not any(path.endswith("secrets.map") for path, _ref in forge.reads)


def test_a_bundle_without_a_map_comment_has_no_map(repo):
    forge = FilesAtRef({("dist/background.js", "main"): "var a=1;\n"})
    assert ForgeSourceMaps(forge, repo, "main").find_map("dist/background.js") is None


@pytest.fixture
def bucket(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="homeostat-maps")
        yield "homeostat-maps"


def test_upload_then_symbolicate_from_s3(bucket, capsys):
    # Given the release's build uploaded by its CI
    code = main(
        [
            "sourcemaps",
            "upload",
            str(RELEASE),
            "--repo",
            "acme/notebridge",
            "--version",
            "1.0.0",
            "--bucket",
            bucket,
        ]
    )
    assert code == 0, capsys.readouterr()
    keys = {o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {
        "acme/notebridge/1.0.0/dist/background.js.map",
        "acme/notebridge/1.0.0/dist/background.js",
    }
    # When a report of that version is symbolicated from the bucket
    report = report_from("v1.0.0")
    assert report.extension_version == "1.0.0"
    store = S3SourceMaps(bucket, "acme/notebridge", report.extension_version)
    mapped, stats = symbolicate(report, store)
    # Then it names the original source and function
    assert stats.symbolicated == 3 and fingerprint(mapped).top_stack_frame == "saveNote (src/lib/storage.js)"
    # And another version, or no version, finds no map
    assert S3SourceMaps(bucket, "acme/notebridge", "1.1.0").find_map("dist/background.js") is None
    assert S3SourceMaps(bucket, "acme/notebridge", None).find_map("dist/background.js") is None


def test_s3_errors_other_than_missing_are_a_reason_not_a_crash(bucket):
    store = S3SourceMaps("no-such-bucket", "acme/notebridge", "1.0.0")
    with pytest.raises(SourceMapRejected) as caught:
        store.find_map("dist/background.js")
    assert "NoSuchBucket" in caught.value.reason
    mapped, stats = symbolicate(report_from("v1.0.0"), store)
    assert stats.symbolicated == 0 and "NoSuchBucket" in stats.skipped_maps[0][1]


def test_chain_falls_back_to_the_next_store(bucket, repo):
    forge = FilesAtRef({("dist/background.js", "main"): BUNDLE, ("dist/background.js.map", "main"): MAP})
    chain = ChainedSourceMaps(
        S3SourceMaps(bucket, "acme/notebridge", "1.0.0"), ForgeSourceMaps(forge, repo, "main")
    )
    _report, stats = symbolicate(report_from("v1.0.0"), chain)
    assert stats.symbolicated == 3


def test_a_symbolicator_loads_each_map_once_across_reports(repo):
    # Given one run's reports of one version, symbolicated against the committed maps
    forge = FilesAtRef({("dist/background.js", "main"): BUNDLE, ("dist/background.js.map", "main"): MAP})
    symbolicator = Symbolicator(ForgeSourceMaps(forge, repo, "main"))
    results = [symbolicator.symbolicate(report_from("v1.0.0")) for _ in range(3)]
    # Then every report is mapped, and the bundle and map were read once
    assert all(stats.symbolicated == 3 for _report, stats in results)
    assert len(forge.reads) == 2


def test_a_skipped_map_is_reported_on_every_report_that_needs_it(repo):
    forge = FilesAtRef({("dist/background.js", "main"): BUNDLE})  # map named but missing
    symbolicator = Symbolicator(ForgeSourceMaps(forge, repo, "main"))
    for _ in range(2):
        _report, stats = symbolicator.symbolicate(report_from("v1.0.0"))
        assert "not in the repository" in stats.skipped_maps[0][1]


@pytest.mark.parametrize("version", ["../other/1.0.0", "1.0.0/dist", "", None])
def test_a_version_that_is_not_one_key_segment_finds_nothing(bucket, version, capsys):
    assert (
        main(
            [
                "sourcemaps",
                "upload",
                str(RELEASE),
                "--repo",
                "acme/notebridge",
                "--version",
                "1.0.0",
                "--bucket",
                bucket,
            ]
        )
        == 0
    )
    assert S3SourceMaps(bucket, "acme/notebridge", version).find_map("dist/background.js") is None
