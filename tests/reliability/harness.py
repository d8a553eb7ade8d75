"""The pieces the reliability tests share: a repo run over real adapters, crash and fault proxies.

A `World` is one repository on a LocalForge (a real git repo in tmp_path), the four DynamoDB
stores on a moto server (over HTTP, one request at a time, like DynamoDB's atomic conditional
writes), the scripted OpenAI-compatible model server through the real openai client, and a clock
the test moves. `world.run()` is `pipeline.run_repo` exactly as the worker calls it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from homeostat_core.adapters.dynamo import DynamoState
from homeostat_core.adapters.local_forge import LocalForge
from homeostat_core.adapters.openai_llm import OpenAIChatModel, static_key_provider
from homeostat_core.adapters.scripted_llm import ScriptedLlmServer
from homeostat_core.config import RepoConfig, default_config_path, load_config
from homeostat_core.fixing.model_settings import ModelSettings, load_model_settings
from homeostat_core.models import RunRecord
from homeostat_core.pipeline import run_repo
from homeostat_core.ports import Ports, branch_for
from homeostat_core.report.markers import issue_comment_marker
from homeostat_core.settings import Settings

PROJECT = Path(__file__).resolve().parents[2]
EXAMPLES = PROJECT / "examples"
START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
# What SQS waits before it redelivers a failed message: 6 x the worker's 900 s timeout.
REDELIVERY_DELAY = timedelta(minutes=90)
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.DOTALL)


def figure(name: str, **values: Any) -> str:
    """The one line each reliability test prints (collected into the closing table)."""
    line = f"RELIABILITY {name}: " + " ".join(f"{k}={v}" for k, v in values.items())
    print(line, flush=True)
    return line


class SimulatedCrash(BaseException):  # noqa: N818 (it is the event, not an error class name)
    """The worker dies here (Lambda timeout, OOM, a bug): nothing after this point runs."""


class ManualClock:
    def __init__(self, start: datetime = START):
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


def no_delayed_ack_stalls(http_server) -> None:
    """The fakes write status, headers and body in separate small writes; with Nagle's algorithm
    on, each response waits for the client's delayed ACK (~40 ms). TCP_NODELAY removes the stall."""
    http_server.RequestHandlerClass.disable_nagle_algorithm = True


def example_repo(name: str, **overrides: Any) -> RepoConfig:
    """One of the bundled repos.yml entries, with overrides (e.g. a bigger budget)."""
    config = load_config(default_config_path())
    repo = next(r for r in config.repositories if r.name == name)
    return dataclasses.replace(repo, **overrides)


def read_issue(path: Path) -> dict[str, Any]:
    match = FRONT_MATTER.match(path.read_text(encoding="utf-8"))
    assert match, path
    meta = yaml.safe_load(match.group(1))
    return {
        "title": meta["title"],
        "body": match.group(2),
        "labels": meta["labels"],
        "author": meta["author"],
    }


class CrashOnce:
    """A proxy that raises SimulatedCrash once, before or after the matching call of `method`.

    `when(*args, **kwargs)` picks the call; `skip` matching calls pass first.
    """

    def __init__(
        self,
        target: Any,
        method: str,
        *,
        after: bool = False,
        when: Callable[..., bool] = lambda *a, **k: True,
        skip: int = 0,
    ):
        self._target = target
        self._method = method
        self._after = after
        self._when = when
        self._skip = skip
        self.fired = False

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if name != self._method:
            return attr

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            hit = not self.fired and self._when(*args, **kwargs)
            if hit and self._skip:
                self._skip -= 1
                hit = False
            if hit and not self._after:
                self.fired = True
                raise SimulatedCrash(f"before {self._method}")
            result = attr(*args, **kwargs)
            if hit:
                self.fired = True
                raise SimulatedCrash(f"after {self._method}")
            return result

        return wrapped

    @property
    def api_calls(self) -> int:  # the Forge port's counter, read as a plain attribute
        return self._target.api_calls


class CrashAfterRefPush(LocalForge):
    """A LocalForge that dies once after moving the PR branch and before the PR exists."""

    crash_armed = True

    def _create_pull_record(self, *args: Any, **kwargs: Any):
        if self.crash_armed:
            self.crash_armed = False
            raise SimulatedCrash("after the branch ref was pushed")
        return super()._create_pull_record(*args, **kwargs)


@dataclasses.dataclass
class World:
    repo: RepoConfig
    forge: LocalForge
    state: DynamoState
    settings: Settings
    llm_server: ScriptedLlmServer
    model_settings: ModelSettings
    clock: ManualClock
    issue_numbers: list[int]

    def llm(self, timeout_s: float = 5.0, max_retries: int = 0) -> OpenAIChatModel:
        return OpenAIChatModel(
            static_key_provider(),
            timeout_s=timeout_s,
            max_retries=max_retries,
            max_tokens_fields=self.model_settings.max_tokens_fields(),
        )

    def ports(self, **overrides: Any) -> Ports:
        values = {
            "forge": self.forge,
            "llm": self.llm(),
            "attempts": self.state.attempts,
            "patterns": self.state.patterns,
            "budgets": self.state.budgets,
            "runs": self.state.runs,
            "clock": self.clock,
        }
        values.update(overrides)
        return Ports(**values)

    def run(self, ports: Ports | None = None, model_settings: ModelSettings | None = None) -> RunRecord:
        return run_repo(
            self.repo, ports or self.ports(), model_settings=model_settings or self.model_settings
        )

    # --- what the forge and the state say ------------------------------------------------

    def prs_for(self, fingerprint_id: str) -> list:
        return [pr for pr in self.forge.list_prs(self.repo) if pr.branch == branch_for(fingerprint_id)]

    def homeostat_comments(self, number: int, marker: str) -> list[dict]:
        return [c for c in self.forge.issue_comments(self.repo, number) if marker in c["body"]]

    def fix_comments(self, number: int, fingerprint_id: str) -> list[dict]:
        return self.homeostat_comments(number, issue_comment_marker(fingerprint_id))

    def spent_today(self) -> float:
        return self.state.budgets.spent_usd(self.repo.slug, self.clock.now().date())


def make_world(
    tmp_path: Path,
    settings: Settings,
    llm_server: ScriptedLlmServer,
    repo: RepoConfig,
    issues: Iterable[dict[str, Any]] = (),
    *,
    files: dict[str, str] | None = None,
    forge_class: type[LocalForge] = LocalForge,
    model_settings: ModelSettings | None = None,
    seed_forge: bool = True,
) -> World:
    """A seeded copy of examples/repos/<name> (plus `files`) with `issues` filed on it.
    `seed_forge=False`: the test brings its own forge (e.g. GitHub) and only needs the rest."""
    forge = forge_class(tmp_path / "forge")
    if seed_forge:
        source = tmp_path / "source"
        if not source.exists():
            import shutil

            shutil.copytree(EXAMPLES / "repos" / repo.name, source)
        for path, text in (files or {}).items():
            target = source / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        forge.seed_repo(repo, source)
    numbers = [
        forge.add_issue(
            repo, i["title"], i["body"], i.get("labels", ["robot"]), i.get("author", "cloakpipe-bot")
        )
        for i in issues
    ]
    ms = model_settings or load_model_settings(environ={"HOMEOSTAT_LLM_BASE_URL": llm_server.base_url})
    return World(
        repo=repo,
        forge=forge,
        state=DynamoState.from_settings(settings),
        settings=settings,
        llm_server=llm_server,
        model_settings=ms,
        clock=ManualClock(),
        issue_numbers=numbers,
    )


def example_issues(repo_name: str, *names: str) -> list[dict[str, Any]]:
    return [read_issue(EXAMPLES / "issues" / repo_name / name) for name in names]


def logger_issue(
    *,
    product: str = "NoteBridge",
    error_type: str = "SyntaxError",
    message: str = '"undefined" is not valid JSON',
    stack: str | None = None,
    breadcrumbs: Iterable[str] = ("Extension installed", "Popup opened"),
    extra_sections: str = "",
    title: str | None = None,
) -> dict[str, Any]:
    """A logger issue in the extension format, pointing at notebridge's src/lib/storage.js."""
    stack = stack or (
        f"{error_type}: {message}\n"
        "    at JSON.parse (<anonymous>)\n"
        "    at loadNotes (chrome-extension://hpoiebnmdefkcpbbhiegdgnhlmbmlbkn/src/lib/storage.js:6:15)\n"
        "    at async addNote (chrome-extension://hpoiebnmdefkcpbbhiegdgnhlmbmlbkn/src/lib/storage.js:14:23)"
    )
    crumbs = "\n".join(f"{i}. {c}" for i, c in enumerate(breadcrumbs, 1))
    body = (
        "## Error Details\n"
        f"- Extension: {product} v1.2.0\n"
        f"- Error Type: {error_type}\n"
        f"- Message: {message}\n"
        "- Timestamp: 2026-11-20T19:03:12.331Z\n\n"
        f"## Stack Trace\n```\n{stack}\n```\n\n"
        f"## Breadcrumbs\n{crumbs}\n"
        f"{extra_sections}"
    )
    return {
        "title": title if title is not None else f"[{product}] {error_type}: {message}",
        "body": body,
        "labels": ["robot"],
        "author": "cloakpipe-bot",
    }
