"""A small world for lifecycle tests: the local git forge, in-memory state, a manual clock and a
model double that answers with a valid edit to notebridge's src/lib/storage.js."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path

from homeostat_core.adapters.local_forge import LocalForge
from homeostat_core.adapters.memory_state import MemoryState
from homeostat_core.config import default_config_path, load_config
from homeostat_core.fixing.model_settings import load_model_settings
from homeostat_core.lifecycle import stage_of
from homeostat_core.pipeline import run_repo
from homeostat_core.ports import Ports
from tests.reliability.harness import EXAMPLES, ManualClock, logger_issue
from tests.unit.fixing.fakes import FakeChatModel

SEARCH = "  return JSON.parse(data[NOTES_KEY]);\n"


def storage_fix(n: int) -> str:
    """Attempt n's answer: the same guard, told apart by a comment so each push differs."""
    replace = (
        f"  // guard against a missing key (attempt {n})\n"
        "  const raw = data[NOTES_KEY];\n"
        "  return raw === undefined ? [] : JSON.parse(raw);\n"
    )
    edits = [{"path": "src/lib/storage.js", "search": SEARCH, "replace": replace}]
    return json.dumps({"summary": "Treat a missing notes key as an empty list.", "edits": edits})


@dataclasses.dataclass
class World:
    tmp: Path
    forge: LocalForge
    state: MemoryState
    clock: ManualClock
    model: FakeChatModel
    repo: object
    env: str = "production"

    @property
    def ports(self) -> Ports:
        return Ports(
            forge=self.forge,
            llm=self.model,
            attempts=self.state.attempts,
            patterns=self.state.patterns,
            budgets=self.state.budgets,
            runs=self.state.runs,
            clock=self.clock,
        )

    def run(self, **kwargs):
        return run_repo(
            self.repo,
            self.ports,
            model_settings=load_model_settings(environ={"HOMEOSTAT_LLM_BASE_URL": "http://127.0.0.1:9/v1"}),
            env=self.env,
            **kwargs,
        )

    def file_issue(
        self, version: str | None = "1.2.0", *, author: str | None = None, labels: tuple = (), **fields
    ) -> int:
        """A logger issue from extension `version` (None: the report names no version), filed by
        the logger account unless `author` says who; `labels` are added to `robot`."""
        issue = logger_issue(**fields)
        line = f"{fields.get('product', 'NoteBridge')} v1.2.0"
        replacement = line.replace("1.2.0", version) if version else line.removesuffix(" v1.2.0")
        body = issue["body"].replace(line, replacement)
        return self.forge.add_issue(
            self.repo, issue["title"], body, [*issue["labels"], *labels], author or issue["author"]
        )

    def attempt(self, fingerprint_id: str | None = None):
        rows = self.state.attempts.list(self.repo.slug)
        if fingerprint_id is not None:
            rows = [r for r in rows if r.fingerprint_id == fingerprint_id]
        assert len(rows) == 1, rows
        return rows[0]

    def stage(self) -> str:
        return stage_of(self.attempt()).value

    def attempt_ids(self) -> list[str]:
        """Fingerprint ids in the order they were first attempted."""
        rows = sorted(self.state.attempts.list(self.repo.slug), key=lambda r: r.last_attempt_at)
        return [r.fingerprint_id for r in rows]

    def stage_of(self, fingerprint_id: str) -> str:
        return stage_of(self.attempt(fingerprint_id)).value

    def later(self, hours: float) -> None:
        self.clock.advance(timedelta(hours=hours))

    def prs(self, state: str = "all"):
        return self.forge.list_prs(self.repo, state=state)

    def results(self, record) -> list[str]:
        return [o["result"] for o in record.outcomes]


def make_world(tmp_path: Path, **repo_overrides) -> World:
    config = load_config(default_config_path())
    # anyone may file (allowed_authors empty) unless a test says otherwise
    overrides = {"daily_budget_usd": 50.0, "allowed_authors": (), **repo_overrides}
    repo = dataclasses.replace(config.repo("littlebearapps/notebridge"), **overrides)
    forge = LocalForge(tmp_path / "forge")
    forge.seed_repo(repo, EXAMPLES / "repos" / "notebridge")
    calls = {"n": 0}

    def answer(model, messages):
        calls["n"] += 1
        return storage_fix(calls["n"])

    return World(tmp_path, forge, MemoryState(), ManualClock(), FakeChatModel(answer), repo)
