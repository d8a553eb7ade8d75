"""Suite-wide test settings: fake AWS credentials, a test environment, and the shared data path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Set before any boto3 client exists (clients are created lazily in the code).
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_SECURITY_TOKEN", "testing")
os.environ.setdefault("AWS_SESSION_TOKEN", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Homeostat")
os.environ.setdefault("HOMEOSTAT_ENV", "test")

REPO_ROOT = Path(__file__).resolve().parent.parent
# The real-data corpus (webhook payloads, browser stack traces, recorded GitHub traffic) lives
# beside the repository in CI; HOMEOSTAT_SHARED_DATA points elsewhere. A lone clone has none of it.
SHARED_DATA = Path(os.environ.get("HOMEOSTAT_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data")
SHARED_DATA_MISSING = (
    f"real-data corpus not found at {SHARED_DATA} (set HOMEOSTAT_SHARED_DATA to its folder; "
    "CI has it beside the repository)"
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Real captured data (webhook payloads, browser stack traces); the test skips without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(SHARED_DATA_MISSING)
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _fresh_settings():
    from homeostat_core.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
