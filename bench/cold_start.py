"""Cold start: each Lambda handler's import time as a ratio to `import boto3` in the same run,
and the process's peak memory after the import.

Every sample is a fresh interpreter (a Lambda cold start imports into a new process); the figure is
the median of --runs samples, measured with compiled bytecode (the bundle ships .pyc) and without
(every module compiled on import). The handlers' environment is a deployed one (Secrets Manager
names, table names, a queue URL) with no AWS call at import. Target: ratio <= 1.5.
Usage: .venv/bin/python bench/cold_start.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5
BASELINE = "boto3"
FLOOR = "boto3,aws_xray_sdk.core"
HANDLERS = ("functions.scheduler.handler", "functions.worker.handler", "functions.webhook.handler")

PROBE = """
import resource, sys, time
started = time.perf_counter()
for name in sys.argv[1].split(","):
    __import__(name)
elapsed = time.perf_counter() - started
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
heavy = sorted(
    m for m in ("openai", "pynamodb", "tree_sitter", "pydantic", "github", "symbolic", "requests")
    if m in sys.modules
)
print(__import__("json").dumps({"s": elapsed, "peak_mb": peak_kb / 1024, "heavy": heavy}))
"""

LAMBDA_ENV = {
    # Set by Lambda: Powertools' Tracer is then active and patches what it is told to at import,
    # and the X-Ray SDK uses Lambda's sampling instead of building its own X-Ray client.
    "AWS_LAMBDA_FUNCTION_NAME": "homeostat-bench",
    "LAMBDA_TASK_ROOT": str(ROOT),
    "HOMEOSTAT_ENV": "production",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "HOMEOSTAT_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/homeostat-jobs.fifo",
    "HOMEOSTAT_GITHUB_TOKEN_SECRET": "homeostat/production/github-token",
    "HOMEOSTAT_WEBHOOK_SECRET_NAME": "homeostat/production/webhook-secret",
    "HOMEOSTAT_LLM_KEYS_SECRET": "homeostat/production/llm-keys",
    "POWERTOOLS_SERVICE_NAME": "homeostat",
    "POWERTOOLS_METRICS_NAMESPACE": "Homeostat",
}


def sample(module: str, *, bytecode: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOMEOSTAT_", "AWS_ENDPOINT"))}
    env.update(LAMBDA_ENV, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryDirectory() as empty_cache:
        command = [sys.executable]
        if not bytecode:
            # An empty bytecode cache: every module is compiled from source, as in a bundle without .pyc.
            command += ["-X", f"pycache_prefix={empty_cache}"]
        out = subprocess.run(
            [*command, "-c", PROBE, module], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
    return json.loads(out.stdout)


def measure(runs: int, *, bytecode: bool) -> dict[str, dict]:
    """Rounds of (baseline, floor, each handler), interleaved so that load on the machine hits all
    of them alike; each module's figure is the median of its per-round ratios to the baseline."""
    rounds = []
    for _ in range(runs):
        rounds.append({module: sample(module, bytecode=bytecode) for module in (BASELINE, FLOOR, *HANDLERS)})
    figures = {}
    for module in (BASELINE, FLOOR, *HANDLERS):
        figures[module] = {
            "s": statistics.median(r[module]["s"] for r in rounds),
            "ratio": statistics.median(r[module]["s"] / r[BASELINE]["s"] for r in rounds),
            "peak_mb": max(r[module]["peak_mb"] for r in rounds),
            "heavy": rounds[0][module]["heavy"],
        }
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="rounds of fresh interpreters (median)")
    args = parser.parse_args()
    for module in (BASELINE, FLOOR, *HANDLERS):
        sample(module, bytecode=True)  # write the bytecode cache once before timing
    worst = 0.0
    for bytecode in (True, False):
        label = "with .pyc" if bytecode else "without .pyc (compiled on import)"
        figures = measure(args.runs, bytecode=bytecode)
        base = figures[BASELINE]
        print(f"== {label}: import boto3 {base['s'] * 1000:.0f} ms, peak {base['peak_mb']:.0f} MB")
        floor = figures[FLOOR]
        print(
            f"  {'boto3 + X-Ray SDK (floor)':30} {floor['s'] * 1000:6.0f} ms  {floor['ratio']:4.2f}x boto3  "
            f"peak {floor['peak_mb']:4.0f} MB  (what any handler with Tracing.ACTIVE imports)"
        )
        for module in HANDLERS:
            figure = figures[module]
            if bytecode:
                worst = max(worst, figure["ratio"])
            heavy = ", ".join(figure["heavy"]) or "none"
            print(
                f"  {module:30} {figure['s'] * 1000:6.0f} ms  {figure['ratio']:4.2f}x boto3  "
                f"peak {figure['peak_mb']:4.0f} MB  heavy modules loaded: {heavy}"
            )
    verdict = "meets" if worst <= TARGET_RATIO else "misses"
    print(f"worst handler ratio with .pyc: {worst:.2f}x (target <= {TARGET_RATIO}x: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
