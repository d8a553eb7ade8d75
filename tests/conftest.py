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
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Real captured data (webhook payloads, browser stack traces) in ../shared/data."""
    assert SHARED_DATA.is_dir(), f"missing {SHARED_DATA}"
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _fresh_settings():
    from homeostat_core.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
