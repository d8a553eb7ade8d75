"""The demo's memory: resident memory after each local step (each LocalStack) and the peak.

Runs `homeostat local demo` in this process with a probe on LocalStack's exit and prints one line
per step; the figures to watch are the peak (target under 450 MB) and the growth from the second
step to the last (flat: a few MB, not tens per step).

    python bench/demo_memory.py
"""

from __future__ import annotations

import gc
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from homeostat_core.commands.local import peak_memory_mb  # noqa: E402
from homeostat_core.local import runner  # noqa: E402


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return peak_memory_mb()  # not Linux: the peak is what there is


def main() -> int:
    steps: list[float] = []
    close = runner.LocalStack.__exit__

    def probed_exit(self, *exc):
        result = close(self, *exc)
        gc.collect()
        steps.append(resident_mb())
        return result

    runner.LocalStack.__exit__ = probed_exit
    from homeostat_core.cli import main as cli

    with tempfile.TemporaryDirectory() as tmp:
        code = cli(["local", "demo", "--state", str(Path(tmp) / "demo")])
    print()
    print("== demo memory")
    for number, rss in enumerate(steps, 1):
        print(f"  step {number:2}: {rss:6.0f} MB resident")
    growth = steps[-1] - steps[1] if len(steps) > 2 else 0.0
    print(f"  peak {peak_memory_mb():.0f} MB; growth from step 2 to step {len(steps)}: {growth:+.0f} MB")
    return code


if __name__ == "__main__":
    sys.exit(main())
