"""The handlers' wakes (docs/WAKES.md) on the local clock, for local mode."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator

from homeostat_core.adapters import wiring
from homeostat_core.ports import Clock
from homeostat_core.settings import get_settings


@contextlib.contextmanager
def local_waker(clock: Clock, module_name: str) -> Iterator[None]:
    """The handler module's wakes on `clock`, sent undelayed: the local clock, not SQS's timer,
    says when they are due (local/wakes.py delivers them)."""
    module = importlib.import_module(module_name)
    real = module._waker
    module._waker = lambda: wiring.waker(get_settings(), clock=clock, queue_delays=False)
    try:
        yield
    finally:
        module._waker = real
