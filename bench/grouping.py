"""Pairwise grouping quality of `homeostat fingerprint` on labelled real traces, next to the seed's.

Items: the dev traces (../shared/data/stacktraces/js_stacktraces.dev.json, one per id), labelled
by ../shared/data/grouping/crossbrowser_groups.dev.json (unlisted traces are their own group;
one capture stored under two fixture sources is one group),
and the one Sentry error captured in four browsers (grouping/sentry_xbrowser_same_error.json,
rendered as each browser prints its stack). Every item goes through the real CLI
(`homeostat fingerprint`, JSON lines on stdin) and through the seed's fingerprinter.

A pair of items is a true positive when both share a label and an id. Precision = TP/(TP+FP),
recall = TP/(TP+FN), F1 their harmonic mean; printed for all labels and for the high-confidence
labels only (medium/low groups mix different errors, see docs/FINGERPRINTING.md).
Usage: .venv/bin/python bench/grouping.py
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import sys
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seed_fingerprint import seed_fingerprint_id  # noqa: E402

from homeostat_core.cli import main as homeostat  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
HEADER = re.compile(r"^(\w+): ")


def load_items(data: Path) -> list[dict]:
    """[{name, label, confidence, type, message, stack}] for every labelled item."""
    traces = json.loads((data / "stacktraces" / "js_stacktraces.dev.json").read_text())
    groups = json.loads((data / "grouping" / "crossbrowser_groups.dev.json").read_text())["groups"]
    label_of = {trace_id: (name, g["confidence"]) for name, g in groups.items() for trace_id in g["ids"]}
    items, seen = [], set()
    for trace in traces:
        if trace["id"] in seen or not trace["stack"]:
            continue
        seen.add(trace["id"])
        # CHROME_36 and FIREFOX_31 are one capture each, stored once per fixture source
        # ("FIREFOX_31@TraceKit", "FIREFOX_31@error-stack-parser"): one label.
        base = trace["id"].split("@", 1)[0]
        label, confidence = label_of.get(trace["id"]) or label_of.get(base) or (f"single:{base}", "single")
        header = HEADER.match(trace["stack"])
        error_type = trace["name"] or (header.group(1) if header else "Error")
        items.append(
            {
                "name": trace["id"],
                "label": label,
                "confidence": confidence,
                "type": error_type,
                "message": trace["message"] or "",
                "stack": trace["stack"],
            }
        )
    events = json.loads((data / "grouping" / "sentry_xbrowser_same_error.json").read_text())["events"]
    for browser, event in events.items():
        items.append(
            {
                "name": f"sentry-{browser}",
                "label": "sentry-xbrowser",
                "confidence": "high",
                "type": event["type"],
                "message": event["value"],
                "stack": _render(browser, event),
            }
        )
    return items


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    items = load_items(args.data)
    ours, seed = homeostat_ids(items), seed_ids(items)
    groups = {i["label"] for i in items if not i["label"].startswith("single:")}
    print(
        f"items: {len(items)} ({len(groups)} labelled groups, {sum(i['label'].startswith('single:') for i in items)} singletons)"
    )
    for title, keep in (
        ("all labels", lambda i: True),
        ("high-confidence labels + singletons", lambda i: i["confidence"] in ("high", "single")),
    ):
        chosen = [k for k, item in enumerate(items) if keep(item)]
        labels = [items[k]["label"] for k in chosen]
        print(f"{title} ({len(chosen)} items):")
        for name, ids in (("homeostat fingerprint", ours), ("seed (naive)", seed)):
            tp, fp, fn, p, r, f1 = pairwise(labels, [ids[k] for k in chosen])
            print(f"  {name:22s} precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}  (TP {tp}, FP {fp}, FN {fn})")
    print("groups (distinct ids: homeostat / seed):")
    for label in sorted(groups):
        members = [k for k, item in enumerate(items) if item["label"] == label]
        print(
            f"  {label:28s} {items[members[0]]['confidence']:6s} {len(members):2d} items: "
            f"{len({ours[k] for k in members})} / {len({seed[k] for k in members})}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
