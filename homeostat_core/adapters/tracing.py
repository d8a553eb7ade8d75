"""X-Ray subsegments around every port call that leaves the process (forge, model).

A proxy rather than decorators in each adapter: one place decides what is traced, and the
adapters stay free of tracing code. With the tracer disabled (outside Lambda) it costs a call.
"""

from __future__ import annotations

import functools
from typing import Any

from homeostat_core.observability import tracer


class Traced:
    def __init__(self, inner: Any, name: str):
        self._inner = inner
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._inner, attr)
        if attr.startswith("_") or not callable(value):
            return value  # counters such as forge.api_calls pass straight through

        @functools.wraps(value)
        def traced(*args: Any, **kwargs: Any) -> Any:
            with tracer.provider.in_subsegment(f"## {self._name}.{attr}"):
                return value(*args, **kwargs)

        return traced
