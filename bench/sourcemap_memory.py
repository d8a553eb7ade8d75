"""Peak memory per source map: what symbolicating one report against one map adds to a process.

The bench writes its own maps: an esbuild-like bundle (one minified line) of N generated modules,
with a version-3 map carrying `sourcesContent`, at about 1, 10 and 20 MB (the default limit),
each once with its bundle beside it (scopes read with symbolic's SourceMapCache) and once alone
(as a bucket holding maps only). Every measurement runs in a fresh interpreter: the map's bytes
are read first, then the peak resident set (ru_maxrss) and Python's own peak (tracemalloc) are
taken around `Symbolicator.symbolicate`, so the figure is what parsing and looking up adds.
A second symbolicator over the same content (another extension version of the run) is timed too:
it parses nothing (the parse is shared by content).

Usage: .venv/bin/python bench/sourcemap_memory.py [--sizes 1,10,20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
EXTENSION_URL = "chrome-extension://hpoiebnmdefkcpbbhiegdgnhlmbmlbkn/dist/background.js"


def vlq(value: int) -> str:
    bits = (-value << 1) | 1 if value < 0 else value << 1
    out = []
    while True:
        digit, bits = bits & 31, bits >> 5
        out.append(_B64[digit | (32 if bits else 0)])
        if not bits:
            return "".join(out)


def write_release(folder: Path, target_bytes: int, seed: int = 7) -> tuple[int, int, list[int]]:
    """dist/background.js (one line) and dist/background.js.map of about `target_bytes`; returns
    (map size, bundle size, bundle columns of a few calls to look up)."""
    rnd = random.Random(seed)
    names = [f"handle{w}{i}" for i in range(400) for w in ("Save", "Load", "Sync", "Render")]
    sources, contents, bundle, segments = [], [], [], []
    previous = [0, 0, 0, 0, 0]  # generated column, source, line, column, name (VLQ deltas)
    column = 0
    size = 0
    module = 0
    while size < target_bytes:
        path = f"../src/features/module{module}.js"
        lines = []
        for line_no in range(rnd.randint(40, 120)):
            name_index = rnd.randrange(len(names))
            name = names[name_index]
            text = f"  function {name}(note, options) {{ return store.{name}(note, options ?? {{}}); }}"
            lines.append(text)
            token = (
                f"function {chr(97 + line_no % 26)}(n,o){{return s.{chr(97 + name_index % 26)}(n,o??{{}})}};"
            )
            segment = [column, len(sources), line_no, 2, name_index]
            segments.append("".join(vlq(v - p) for v, p in zip(segment, previous, strict=True)))
            previous = segment
            bundle.append(token)
            column += len(token)
        sources.append(path)
        contents.append("\n".join(lines) + "\n")
        module += 1
        size = sum(len(c) for c in contents) + sum(len(s) + 1 for s in segments) + len(sources) * 40
    document = {
        "version": 3,
        "file": "background.js",
        "sources": sources,
        "sourcesContent": contents,
        "names": names,
        "mappings": ",".join(segments),
    }
    dist = folder / "dist"
    dist.mkdir(parents=True, exist_ok=True)
    map_bytes = json.dumps(document).encode()
    (dist / "background.js.map").write_bytes(map_bytes)
    (dist / "background.js").write_text("".join(bundle) + "\n//# sourceMappingURL=background.js.map\n")
    bundle_text = "".join(bundle)
    columns, at = [], 0
    for token in bundle[:: max(1, len(bundle) // 3)][:3]:
        at = bundle_text.index(token, at)
        columns.append(at + 1)
    return len(map_bytes), len(bundle_text), columns


PROBE = r"""
import dataclasses, gc, json, resource, sys, time, tracemalloc
sys.path.insert(0, sys.argv[1])
from homeostat_core.adapters.source_maps import DirectorySourceMaps
from homeostat_core.intake import parse_issue
from homeostat_core.intake.stack import make_frame
from homeostat_core.symbolication.symbolicate import PARSED_MAPS, Symbolicator
import symbolic.sourcemap, symbolic.sourcemapcache  # imports are not the map's cost

def status(field):  # kB, from Linux's /proc (VmHWM: peak resident set, VmRSS: current)
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])

def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")  # resets VmHWM to the current resident set
        return True
    except OSError:
        return False

folder, columns = sys.argv[2], json.loads(sys.argv[3])
frames = tuple(make_frame("x", sys.argv[4], 1, c) for c in columns)
body = "## Error Details\n- Extension: B v1.0.0\n- Error Type: TypeError\n- Message: m\n\n## Stack Trace\n```\nTypeError: m\n    at x (u:1:1)\n```\n\n## Breadcrumbs\n1. Opened\n"
report = dataclasses.replace(parse_issue("[B] TypeError: m", body, ["robot"]), frames=frames)
found = DirectorySourceMaps(folder, max_bytes=50 * 1024 * 1024).find_map("dist/background.js")

class Held:  # the bytes stay in memory before and after: what is measured is parse and lookup
    def find_map(self, bundle_path):
        return found

gc.collect()
exact = reset_peak()
before = status("VmRSS") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
started = time.perf_counter()
_, stats = Symbolicator(Held(), max_map_bytes=50 * 1024 * 1024).symbolicate(report)
first_s = time.perf_counter() - started
python_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
gc.collect()
peak = status("VmHWM") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
held = status("VmRSS") - before if exact else None
started = time.perf_counter()
parses = PARSED_MAPS.parses
_, again = Symbolicator(Held(), max_map_bytes=50 * 1024 * 1024).symbolicate(report)
print(json.dumps({
    "peak_mb": (peak - before) / 1024, "held_mb": held / 1024 if held is not None else None,
    "python_peak_mb": python_peak / 2**20, "first_s": first_s,
    "again_s": time.perf_counter() - started, "parsed_again": PARSED_MAPS.parses - parses,
    "mapped": stats.symbolicated, "mapped_again": again.symbolicated,
}))
"""


def measure(folder: Path, columns: list[int]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMEOSTAT_")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT), str(folder), json.dumps(columns), EXTENSION_URL],
        capture_output=True,
        text=True,
        env=env,
    )
    if out.returncode != 0:
        raise SystemExit(f"the probe failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,10,20", help="map sizes to generate, in MB")
    args = parser.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    print("Peak memory added by symbolicating one report against one map (fresh process each):")
    print(
        f"  {'map':>8} {'bundle':>7} {'peak':>7} {'× map':>6} {'held':>7} {'Python':>7} "
        f"{'parse+lookup':>13} {'2nd version':>12}"
    )
    with tempfile.TemporaryDirectory(prefix="homeostat-bench-maps-") as tmp:
        for size in sizes:
            folder = Path(tmp) / f"{size:g}mb"
            map_size, bundle_size, columns = write_release(folder, int(size * MB))
            for with_bundle in (True, False):
                if not with_bundle:
                    (folder / "dist" / "background.js").unlink()
                result = measure(folder, columns)
                held = "?" if result["held_mb"] is None else f"{result['held_mb']:.0f}M"
                assert result["mapped"] == len(columns) == result["mapped_again"], result
                print(
                    f"  {map_size / MB:7.1f}M {f'{bundle_size / MB:.1f}M' if with_bundle else 'none':>7} {result['peak_mb']:6.0f}M "
                    f"{result['peak_mb'] / (map_size / MB):6.1f} {held:>7} {result['python_peak_mb']:6.1f}M "
                    f"{result['first_s'] * 1000:11.0f}ms {result['again_s'] * 1000:9.0f}ms"
                    + ("" if result["parsed_again"] == 0 else "  (parsed again!)")
                )
    print(
        "peak: resident set added while parsing and looking up (the map's bytes already in memory);\n"
        "held: resident set after it (the parse kept in PARSED_MAPS, and freed memory the allocator\n"
        "keeps); Python: tracemalloc's peak;\n"
        "2nd version: another symbolicator over the same content in the same process (no parse)."
    )


if __name__ == "__main__":
    main()
