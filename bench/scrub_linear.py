"""scrub() time on adversarial input: linear, not quadratic.

For each adversarial unit (tests/unit/fixing/secrets_corpus.py: runs of the characters each rule
consumes, prefixes repeated without their endings), scrub 50 KB and 500 KB of it (best of 3) and
print the worst CPU time per 100 KB and the worst growth ratio. Linear rules grow ~10× for 10× the
input; the old quadratic email rule grew ~100× (90 KB took 111 s).

Run: .venv/bin/python bench/scrub_linear.py   (exits 1 when a ratio is above 25)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from homeostat_core.fixing.scrub import scrub  # noqa: E402
from tests.unit.fixing.secrets_corpus import ADVERSARIAL_UNITS  # noqa: E402

MAX_RATIO = 25.0


def _best_ms(text: str, runs: int = 3) -> float:
    """CPU milliseconds (process time, so other load on the machine does not skew the ratios)."""
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        scrub(text)
        best = min(best, time.process_time() - start)
    return best * 1000


def main() -> int:
    rows = []
    for unit in ADVERSARIAL_UNITS:
        small = _best_ms((unit * (50_000 // len(unit) + 1))[:50_000])
        large = _best_ms((unit * (500_000 // len(unit) + 1))[:500_000])
        rows.append((large / max(small, 1.0), small * 2, large, unit))  # 1 ms floor: timer noise
    worst_ratio = max(rows)
    worst_time = max(rows, key=lambda r: r[1])
    print(f"inputs: {len(rows)} adversarial units, 50 KB and 500 KB each")
    print(f"worst per 100 KB: {worst_time[1]:.1f} ms CPU ({worst_time[3]!r}; the unit test's limit is 50 ms)")
    print(f"worst growth 50 KB -> 500 KB: {worst_ratio[0]:.1f}x ({worst_ratio[3]!r}; linear ~10x)")
    return 0 if worst_ratio[0] <= MAX_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
