"""The deployment's own repos.yml, as the worker and the webhook read it: the only source of a
repository's config (queue messages name a repository; they never carry its config).

Parsed once per container and again only when the file changed: at 10,000 repositories parsing
takes seconds, too long for every webhook delivery or learning job.
"""

from __future__ import annotations

import os
from functools import lru_cache

from homeostat_core.config import HomeostatConfig, RepoConfig, default_config_path, load_config
from homeostat_core.settings import get_settings


def configured_repo(slug: str) -> RepoConfig | None:
    """The repository's config, or None when repos.yml does not list it (any letter case)."""
    return _load(_path())[1].get(slug.lower()) if isinstance(slug, str) else None


def bundled_config() -> HomeostatConfig:
    return _load(_path())[0]


def _path() -> str:
    return get_settings().repos_file or str(default_config_path())


def _load(path: str) -> tuple[HomeostatConfig, dict[str, RepoConfig]]:
    try:
        stat = os.stat(path)
    except OSError:
        load_config(path)  # raises, naming the file and why it cannot be read
        raise
    return _parsed(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=2)
def _parsed(path: str, mtime_ns: int, size: int) -> tuple[HomeostatConfig, dict[str, RepoConfig]]:
    config = load_config(path)
    return config, {repo.slug.lower(): repo for repo in config.repositories}
