"""Maps are parsed once per content (any store, any version, any run of a warm container), kept
on local disk within a size cap, and fetched from S3 again only when they changed."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from homeostat_core.adapters.source_maps import DiskCache, S3SourceMaps
from homeostat_core.config import PathFilters, RepoConfig
from homeostat_core.ports import ForgeError, RateLimitLow, SourceMapFile, SourceMapRejected
from homeostat_core.symbolication import ForgeSourceMaps, Symbolicator
from homeostat_core.symbolication.parsed_maps import ParsedMaps, content_key
from homeostat_core.symbolication.symbolicate import PARSED_MAPS
from tests.unit.symbolication.helpers import FIXTURES, report_from

MAP = (FIXTURES / "v1.0.0" / "dist" / "background.js.map").read_bytes()
BUNDLE = (FIXTURES / "v1.0.0" / "dist" / "background.js").read_bytes()
KEY = "acme/notebridge/1.0.0/dist/background.js"


class CountingForge:
    def __init__(self, files: dict[str, str], fail: Exception | None = None):
        self.files, self.fail, self.reads = files, fail, []

    def read_file(self, repo, path, ref=None):
        self.reads.append(path)
        if self.fail:
            raise self.fail
        return self.files.get(path)


REPO = RepoConfig(
    slug="acme/notebridge",
    branch="main",
    max_prs_per_run=1,
    labels=(),
    path_filters=PathFilters(include=("src",)),
)


def test_the_same_content_is_one_parse_whichever_version_or_store_found_it():
    # Given two stores (two extension versions of one run) that find the same committed map
    forge = CountingForge({"dist/background.js": BUNDLE.decode(), "dist/background.js.map": MAP.decode()})
    PARSED_MAPS.clear()
    before = PARSED_MAPS.parses
    results = [
        Symbolicator(ForgeSourceMaps(forge, REPO, "main")).symbolicate(report_from("v1.0.0"))
        for _ in range(2)
    ]
    # Then both map the frames, and the map was parsed once
    assert [stats.symbolicated for _report, stats in results] == [3, 3]
    assert PARSED_MAPS.parses - before == 1


def test_one_forge_store_reads_each_bundle_once_for_every_version_that_shares_it():
    forge = CountingForge({"dist/background.js": BUNDLE.decode(), "dist/background.js.map": MAP.decode()})
    shared = ForgeSourceMaps(forge, REPO, "main")
    for _version in ("1.0.0", "1.1.0"):
        Symbolicator(shared).symbolicate(report_from("v1.0.0"))
    assert forge.reads == ["dist/background.js", "dist/background.js.map"]


def test_a_changed_file_never_meets_an_old_parse():
    changed = SourceMapFile("dist/background.js.map", MAP.replace(b'"names"', b'"names" '), BUNDLE)
    same = SourceMapFile("dist/background.js.map", MAP, BUNDLE)
    assert content_key(same) != content_key(changed)
    # the map's own path is part of it: its sources resolve against that folder
    assert content_key(same) != content_key(SourceMapFile("build/background.js.map", MAP, BUNDLE))
    assert content_key(same) != content_key(SourceMapFile("dist/background.js.map", MAP, None))


def test_parses_held_stay_within_the_budget_and_the_newest_always_stays():
    cache: ParsedMaps[str] = ParsedMaps(budget_bytes=250)
    files = [SourceMapFile(f"m{i}.map", bytes([i]) * 100) for i in range(4)]
    for file in files:
        cache.get_or_parse(file, lambda file=file: file.map_path)
    assert cache.parses == 4
    # the two most recent fit (200 bytes); the older ones were let go and parse again
    cache.get_or_parse(files[3], lambda: "again")
    cache.get_or_parse(files[2], lambda: "again")
    assert cache.parses == 4
    assert cache.get_or_parse(files[0], lambda: "again") == "again" and cache.parses == 5
    huge = SourceMapFile("huge.map", b"x" * 1000)
    assert cache.get_or_parse(huge, lambda: "huge") == "huge"
    assert cache.get_or_parse(huge, lambda: "parsed twice") == "huge"


def test_a_forge_error_reading_a_map_is_a_reason_but_a_low_rate_limit_stops_the_run():
    down = ForgeSourceMaps(CountingForge({}, fail=ForgeError("502 Bad Gateway")), REPO, "main")
    _report, stats = Symbolicator(down).symbolicate(report_from("v1.0.0"))
    assert "cannot be read (ForgeError: 502 Bad Gateway)" in stats.skipped_maps[0][1]
    limited = ForgeSourceMaps(CountingForge({}, fail=RateLimitLow("budget low")), REPO, "main")
    with pytest.raises(RateLimitLow):
        limited.find_map("dist/background.js")


def test_a_committed_bundle_over_the_limit_is_used_as_no_bundle():
    # Given a bundle larger than the limit, whose map is within it
    big_bundle = "/*" + " " * len(MAP) + "*/" + BUNDLE.decode()
    forge = CountingForge({"dist/background.js": big_bundle, "dist/background.js.map": MAP.decode()})
    found = ForgeSourceMaps(forge, REPO, "main", max_bytes=len(MAP)).find_map("dist/background.js")
    assert found.data == MAP and found.bundle is None
    with pytest.raises(SourceMapRejected, match="larger than"):
        ForgeSourceMaps(forge, REPO, "main", max_bytes=len(MAP) - 1).find_map("dist/background.js")


# --- disk ------------------------------------------------------------------------------------------


def test_the_disk_cache_keeps_files_by_content_within_its_cap(tmp_path):
    cache = DiskCache(tmp_path / "maps", cap_bytes=250)
    digests = [cache.put(bytes([i]) * 100) for i in range(3)]
    assert cache.get(digests[2]) == bytes([2]) * 100
    assert sum(p.stat().st_size for p in (tmp_path / "maps").iterdir()) <= 250
    assert cache.get(digests[0]) is None  # the least recently used went first
    assert cache.put(b"x" * 251) is None  # larger than the whole cache: not kept
    # a file changed on disk is not served
    (tmp_path / "maps" / digests[2]).write_bytes(b"tampered")
    assert cache.get(digests[2]) is None


def test_an_unwritable_disk_is_no_cache_not_a_failure(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert DiskCache(blocked / "maps", cap_bytes=1000).put(b"data") is None


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="homeostat-maps")
        client.put_object(Bucket="homeostat-maps", Key=KEY + ".map", Body=MAP)
        client.put_object(Bucket="homeostat-maps", Key=KEY, Body=BUNDLE)
        yield client


def _counting_gets(client):
    """(the client's get_object calls, the bytes they returned), counted by botocore's hooks."""
    seen = {"calls": 0, "not_modified": 0}

    def count(http_response, **_):
        seen["calls"] += 1
        seen["not_modified"] += http_response.status_code == 304

    client.meta.events.register("after-call.s3.GetObject", count)
    return seen


def _store(client, tmp_path, cache=True, **kwargs):
    store = S3SourceMaps("homeostat-maps", "acme/notebridge", "1.0.0", **kwargs)
    store._client_instance = client
    store._cache = DiskCache(tmp_path / "disk", 10**8) if cache is True else cache
    return store


def test_a_warm_container_asks_s3_with_the_etag_and_reads_the_bytes_from_disk(s3, tmp_path):
    # Given the map and bundle fetched once in this container
    disk = DiskCache(tmp_path / "disk", 10**8)
    first = _store(s3, tmp_path, cache=disk).find_map("dist/background.js")
    seen = _counting_gets(s3)
    # When the next run asks again
    again = _store(s3, tmp_path, cache=disk).find_map("dist/background.js")
    # Then S3 answers 304 for both objects and the bytes come from disk
    assert (again.data, again.bundle) == (first.data, first.bundle) == (MAP, BUNDLE)
    assert seen == {"calls": 2, "not_modified": 2}
    # And a new upload of the same key is fetched again
    s3.put_object(Bucket="homeostat-maps", Key=KEY + ".map", Body=MAP.replace(b'"names"', b'"names" '))
    changed = _store(s3, tmp_path, cache=disk).find_map("dist/background.js")
    assert changed.data != MAP and seen["not_modified"] == 3  # the bundle only


def test_s3_maps_over_the_limit_are_skipped_and_bundles_over_it_read_as_none(s3, tmp_path):
    limit = max(len(MAP), len(BUNDLE))
    with pytest.raises(SourceMapRejected, match=r"larger than .* MB \(HOMEOSTAT_SOURCEMAP_MAX_MB\)"):
        _store(s3, tmp_path, max_bytes=len(MAP) - 1).find_map("dist/background.js")
    at_limit = _store(s3, tmp_path, max_bytes=limit).find_map("dist/background.js")
    assert (at_limit.data, at_limit.bundle) == (MAP, BUNDLE)
    # a bundle over the limit is read as no bundle; the map is still used
    s3.put_object(Bucket="homeostat-maps", Key=KEY, Body=b" " * (limit + 1))
    only_map = _store(s3, tmp_path, max_bytes=limit).find_map("dist/background.js")
    assert (only_map.data, only_map.bundle) == (MAP, None)


def test_a_length_header_that_lies_cannot_make_the_store_read_past_the_limit(tmp_path):
    class Body:
        def __init__(self):
            self.asked = None

        def read(self, amount=None):
            self.asked = amount
            return b"x" * (amount or 10**6)

        def close(self):
            pass

    body = Body()

    class Client:
        def get_object(self, **_):
            return {"Body": body, "ContentLength": 10, "ETag": '"e"'}

    store = _store(Client(), tmp_path, cache=None, max_bytes=1000)
    with pytest.raises(SourceMapRejected, match="larger than"):
        store.find_map("dist/background.js")
    assert body.asked == 1001
