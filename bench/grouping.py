"""Grouping quality of `homeostat fingerprint` next to the seed's naive hash, on labelled traces.

Two sets, each scored pairwise (a pair is a true positive when both share a label and an id;
precision = TP/(TP+FP), recall = TP/(TP+FN), F1 their harmonic mean):

- the project's own real-shaped cases, one group per failure class of issue #23
  (tests/unit/fingerprint/grouping_cases.py): positives across browsers, builds and truncation,
  and the negatives only a good fingerprint keeps apart (printed pair by pair);
- the real traces of the shared data folder (HOMEOSTAT_SHARED_DATA, else ../shared/data, or
  --data): every stacktraces/**/js_stacktraces*.json labelled by every **/crossbrowser_groups*.json
  (unlisted traces are their own group; one capture stored under two fixture sources is one
  group), plus grouping/sentry_xbrowser_same_error.json rendered as each browser prints it.
  Printed for all labels and for the high-confidence labels only.

Also printed: how many traces give frames, and frame fields against Sentry's expected parse
where the data has it (the cases' `frames`, the traces' `expected_exception`). Every item goes
through the real CLI (`homeostat fingerprint`, JSON lines on stdin).
Usage: .venv/bin/python bench/grouping.py [--data DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seed_fingerprint import seed_fingerprint_id  # noqa: E402

from homeostat_core.cli import main as homeostat  # noqa: E402
from homeostat_core.intake import parse_stack  # noqa: E402
from tests.unit.fingerprint.grouping_cases import NEGATIVES, all_cases  # noqa: E402

DATA = Path(os.environ.get("HOMEOSTAT_SHARED_DATA") or ROOT.parent / "shared" / "data")
HEADER = re.compile(r"^(\w+): ")


def case_items() -> list[dict]:
    return [
        {
            "name": f"{label}/{case.name}",
            "label": label,
            "confidence": "high",
            "type": case.error_type,
            "message": case.message,
            "stack": case.stack,
            "sentry_frames": [list(frame) for frame in case.frames] or None,
        }
        for label, case in all_cases()
    ]


def data_items(data: Path) -> list[dict]:
    """[{name, label, confidence, type, message, stack, sentry_frames}] for every trace with a stack."""
    label_of: dict[str, tuple[str, str]] = {}
    for groups_file in sorted(data.glob("**/crossbrowser_groups*.json")):
        for name, group in json.loads(groups_file.read_text())["groups"].items():
            label_of.update((trace_id, (name, group["confidence"])) for trace_id in group["ids"])
    items, seen = [], set()
    for traces_file in sorted(data.glob("stacktraces/**/js_stacktraces*.json")):
        for trace in json.loads(traces_file.read_text()):
            if trace["id"] in seen or not trace.get("stack"):
                continue
            seen.add(trace["id"])
            # CHROME_36 and FIREFOX_31 are one capture each, stored once per fixture source
            # ("FIREFOX_31@TraceKit", "FIREFOX_31@error-stack-parser"): one label.
            base = trace["id"].split("@", 1)[0]
            label, confidence = (
                label_of.get(trace["id"]) or label_of.get(base) or (f"single:{base}", "single")
            )
            header = HEADER.match(trace["stack"])
            items.append(
                {
                    "name": trace["id"],
                    "label": label,
                    "confidence": confidence,
                    "type": trace.get("name") or (header.group(1) if header else "Error"),
                    "message": trace.get("message") or "",
                    "stack": trace["stack"],
                    "sentry_frames": _expected_frames(trace.get("expected_exception")),
                }
            )
    xbrowser = data / "grouping" / "sentry_xbrowser_same_error.json"
    if xbrowser.is_file():
        for browser, event in json.loads(xbrowser.read_text())["events"].items():
            items.append(
                {
                    "name": f"sentry-{browser}",
                    "label": "sentry-xbrowser",
                    "confidence": "high",
                    "type": event["type"],
                    "message": event["value"],
                    "stack": _render(browser, event),
                    "sentry_frames": None,
                }
            )
    return items


def _expected_frames(expected: object) -> list[list] | None:
    """Sentry's expected frames (its event shape, outermost first) as innermost-first
    [function, filename, line, column], or None."""
    if isinstance(expected, list):
        expected = expected[0] if expected else None
    if isinstance(expected, dict) and isinstance(expected.get("values"), list):
        expected = expected["values"][0] if expected["values"] else None
    if not isinstance(expected, dict):
        return None
    frames = (expected.get("stacktrace") or {}).get("frames") or expected.get("frames")
    if not isinstance(frames, list) or not frames:
        return None
    return [
        [
            None if f.get("function") in (None, "?") else f.get("function"),
            f.get("filename"),
            f.get("lineno"),
            f.get("colno"),
        ]
        for f in reversed(frames)
    ]


def _render(browser: str, event: dict) -> str:
    """The event's frames (outermost first) as the browser prints a stack (innermost first)."""
    lines = [f"{event['type']}: {event['value']}"] if browser in ("chrome", "edge") else []
    for frame in reversed(event["frames"]):
        function, location = frame["function"], frame["filename"]
        if frame["lineno"] is not None:
            location += f":{frame['lineno']}" + (f":{frame['colno']}" if frame["colno"] is not None else "")
        if browser in ("chrome", "edge"):
            lines.append(f"    at {function} ({location})" if function else f"    at {location}")
        else:
            lines.append(f"{function or ''}@{location}")
    return "\n".join(lines)


def homeostat_ids(items: list[dict]) -> list[str]:
    stdin = "".join(
        json.dumps({"type": i["type"], "message": i["message"], "stack": i["stack"]}) + "\n" for i in items
    )
    out = io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out):
            code = homeostat(["fingerprint"])
    finally:
        sys.stdin = old_stdin
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    if code != 0 or len(results) != len(items) or any("id" not in r for r in results):
        raise SystemExit(f"homeostat fingerprint failed: {[r for r in results if 'id' not in r][:3]}")
    return [r["id"] for r in results]


def seed_ids(items: list[dict]) -> list[str]:
    return [seed_fingerprint_id(i["type"], i["message"], i["stack"]) for i in items]


def pairwise(labels: list[str], ids: list[str]) -> tuple[int, int, int, float, float, float]:
    tp = fp = fn = 0
    for a, b in combinations(range(len(labels)), 2):
        same_label, same_id = labels[a] == labels[b], ids[a] == ids[b]
        tp += same_label and same_id
        fp += same_id and not same_label
        fn += same_label and not same_id
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return tp, fp, fn, precision, recall, f1


def frame_fields(items: list[dict]) -> tuple[int, int, int, int, int]:
    """(records, records fully right, frames, filename right, function right) against Sentry."""
    records = fully = total = filename = function = 0
    for item in items:
        expected = item["sentry_frames"]
        if not expected:
            continue
        ours = [[f.function, f.file, f.line, f.column] for f in parse_stack(item["stack"])]
        records += 1
        fully += ours == expected
        for index, want in enumerate(expected):
            got = ours[index] if index < len(ours) else [None, None, None, None]
            total += 1
            function += got[0] == want[0]
            filename += got[1] == want[1]
    return records, fully, total, filename, function


def report(title: str, items: list[dict], ours: list[str], seed: list[str]) -> None:
    groups = {i["label"] for i in items if not i["label"].startswith("single:")}
    singles = sum(i["label"].startswith("single:") for i in items)
    parsed = sum(bool(parse_stack(i["stack"])) for i in items)
    print(
        f"{title}: {len(items)} items ({len(groups)} labelled groups, {singles} singletons); give frames: {parsed}/{len(items)}"
    )
    subsets = [("all labels", lambda i: True)]
    if any(i["confidence"] not in ("high", "single") for i in items):
        subsets.append(
            ("high-confidence labels + singletons", lambda i: i["confidence"] in ("high", "single"))
        )
    for name, keep in subsets:
        chosen = [k for k, item in enumerate(items) if keep(item)]
        labels = [items[k]["label"] for k in chosen]
        print(f"  {name} ({len(chosen)} items):")
        for who, ids in (("homeostat fingerprint", ours), ("seed (naive)", seed)):
            tp, fp, fn, p, r, f1 = pairwise(labels, [ids[k] for k in chosen])
            print(
                f"    {who:22s} precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}  (TP {tp}, FP {fp}, FN {fn})"
            )
    records, fully, total, filename, function = frame_fields(items)
    if records:
        print(
            f"  frames against Sentry's expected parse: {fully}/{records} records fully right; "
            f"filename {filename}/{total} ({filename / total:.0%}), function {function}/{total} ({function / total:.0%})"
        )
    print("  groups (distinct ids: homeostat / seed):")
    for label in sorted(groups):
        members = [k for k, item in enumerate(items) if item["label"] == label]
        print(
            f"    {label:28s} {items[members[0]]['confidence']:6s} {len(members):2d} items: "
            f"{len({ours[k] for k in members})} / {len({seed[k] for k in members})}"
        )


def negatives(items: list[dict], ours: list[str], seed: list[str]) -> None:
    by_label: dict[str, list[int]] = {}
    for k, item in enumerate(items):
        by_label.setdefault(item["label"], []).append(k)
    kept = {"homeostat": 0, "seed": 0}
    for a, b in NEGATIVES:
        for who, ids in (("homeostat", ours), ("seed", seed)):
            kept[who] += {ids[k] for k in by_label[a]}.isdisjoint({ids[k] for k in by_label[b]})
    print(
        f"  negative pairs kept apart (same message in another extension or file; same file, "
        f"another property): homeostat {kept['homeostat']}/{len(NEGATIVES)}, seed {kept['seed']}/{len(NEGATIVES)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder")
    args = parser.parse_args()
    cases = case_items()
    ours, seed = homeostat_ids(cases), seed_ids(cases)
    report("project cases (tests/unit/fingerprint/grouping_cases.py)", cases, ours, seed)
    negatives(cases, ours, seed)
    if not args.data.is_dir():
        print(f"shared data: not found at {args.data} (set HOMEOSTAT_SHARED_DATA or --data)")
        return 0
    items = data_items(args.data)
    report(f"shared data ({args.data})", items, homeostat_ids(items), seed_ids(items))
    return 0


if __name__ == "__main__":
    sys.exit(main())
