"""Pattern matcher lookup time with 10 vs 10,000 stored patterns (target ratio <= 1.5).

Runs against a local moto server (ThreadedMotoServer on 127.0.0.1, port 0) through the real
PynamoDB adapter. Three lookups are timed, each the median of many runs:
  exact  - the fingerprint has a pattern: one GetItem on the table key (deterministic id)
  fuzzy  - no pattern for the fingerprint, one for its errorType + filePath: two GSI queries
  miss   - nothing matches: two GSI queries, empty results
Note: moto answers a GSI query by scanning every item of the table, so its GSI times grow with
the table; DynamoDB itself reads only the index partition for the key. The exact path, a key
lookup, is what reflects DynamoDB's behaviour on moto.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
for name, value in (
    ("AWS_ACCESS_KEY_ID", "bench"),
    ("AWS_SECRET_ACCESS_KEY", "bench"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
):
    os.environ.setdefault(name, value)

import pynamodb.connection.base as _pynamodb_base  # noqa: E402
from botocore.session import get_session as _botocore_get_session  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

from homeostat_core.adapters.dynamo import DynamoState, create_tables  # noqa: E402
from homeostat_core.models import ErrorFingerprint, FileEdit, Pattern  # noqa: E402
from homeostat_core.patterns import match_pattern  # noqa: E402
from homeostat_core.settings import Settings  # noqa: E402

REPEATS = 25
SIZES = (10, 10_000)


def make_pattern(i: int) -> Pattern:
    return Pattern(
        pattern_id=f"pat-fp{i:05d}",
        fingerprint_id=f"fp{i:05d}",
        error_type=("TypeError", "ReferenceError", "RangeError")[i % 3],
        file_path=f"src/module{i}.js",  # one pattern per (type, file): same answer at any size
        edits=(FileEdit(f"src/module{i}.js", f"value{i}.read()", f"(value{i} ?? empty).read()"),),
        success_rate=0.9,
    )


def fingerprint(fp_id: str, error_type: str, file_path: str) -> ErrorFingerprint:
    return ErrorFingerprint(fp_id, error_type, file_path, "fn", "hash", "sig")


# Items DynamoDB reads per lookup (Query's ScannedCount, GetItem's item): what real DynamoDB
# charges and spends time on. moto answers an index query by scanning its whole in-memory table,
# so its wall time grows with the library where DynamoDB's would not; the items read show the
# lookups themselves stay constant.
ITEMS_READ = {"count": 0}


def _count_items_read(parsed=None, model=None, **_kwargs) -> None:
    if model is not None and model.name == "Query":
        ITEMS_READ["count"] += int(parsed.get("ScannedCount", 0))
    elif model is not None and model.name == "GetItem":
        ITEMS_READ["count"] += 1 if parsed.get("Item") else 0


def _counting_session():
    session = _botocore_get_session()
    session.register("after-call.dynamodb", _count_items_read)
    return session


_pynamodb_base.get_session = _counting_session


def items_read(store, fp: ErrorFingerprint) -> int:
    before = ITEMS_READ["count"]
    match_pattern(store, fp)
    return ITEMS_READ["count"] - before


def median_ms(store, fp: ErrorFingerprint, expect: str | None) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        match = match_pattern(store, fp)
        times.append((time.perf_counter() - start) * 1000)
        assert (match.strategy if match else None) == expect, (fp, match)
    return statistics.median(times)


def measure(endpoint: str, size: int) -> dict[str, float]:
    suffix = uuid.uuid4().hex[:8]
    settings = Settings(
        endpoint_url=endpoint,
        attempts_table=f"a-{suffix}",
        patterns_table=f"p-{suffix}",
        runs_table=f"r-{suffix}",
        idempotency_table=f"i-{suffix}",
    )
    create_tables(settings)
    store = DynamoState.from_settings(settings).patterns
    started = time.perf_counter()
    store.put_many([make_pattern(i) for i in range(size)])
    load_s = time.perf_counter() - started
    target = make_pattern(size // 2)
    results = {
        "exact": median_ms(
            store, fingerprint(target.fingerprint_id, target.error_type, target.file_path), "exact"
        ),
        "fuzzy": median_ms(store, fingerprint("fp-new", target.error_type, target.file_path), "fuzzy"),
        "miss": median_ms(store, fingerprint("fp-new", "SyntaxError", "src/none.js"), None),
    }
    reads = {
        "exact": items_read(store, fingerprint(target.fingerprint_id, target.error_type, target.file_path)),
        "fuzzy": items_read(store, fingerprint("fp-new", target.error_type, target.file_path)),
        "miss": items_read(store, fingerprint("fp-new", "SyntaxError", "src/none.js")),
    }
    print(
        f"{size:>6} patterns: loaded in {load_s:.2f}s (batch writes); "
        + ", ".join(f"{kind} {ms:.2f} ms / {reads[kind]} items read" for kind, ms in results.items())
    )
    return {**results, **{f"{kind}_items": count for kind, count in reads.items()}}


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no per-request access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        small, large = (measure(f"http://{host}:{port}", size) for size in SIZES)
    finally:
        server.stop()
    for kind in ("exact", "fuzzy", "miss"):
        items_small, items_large = small[f"{kind}_items"], large[f"{kind}_items"]
        print(
            f"{kind:>5} lookup: items read {items_small} -> {items_large} "
            f"({'constant: ok' if items_large <= max(1, items_small) * 1.5 else 'GROWS'})"
        )
    for kind in ("exact", "fuzzy", "miss"):
        ratio = large[kind] / small[kind]
        verdict = "ok" if ratio <= 1.5 else "over target: moto scans the table for GSI queries"
        print(
            f"{kind:>5} lookup: {small[kind]:.2f} ms -> {large[kind]:.2f} ms, ratio {ratio:.2f} ({verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
