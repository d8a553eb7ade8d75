"""`homeostat local comment` through the real handlers (moto, the local forge, the scripted model):
a stranger's command is ignored without a reply; the maintainer's review is answered by a new
commit on the same PR, back to draft; an unknown command gets the list of commands."""

from __future__ import annotations

import contextlib
import io

import pytest

from homeostat_core import cli
from homeostat_core.adapters.local_forge import LocalForge
from homeostat_core.config import default_config_path, load_config

NOTEBRIDGE = "littlebearapps/notebridge"


def homeostat(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(list(args)) == 0
    return out.getvalue()


@pytest.mark.slow
def test_local_comment_steers_homeostat_through_the_real_handlers(tmp_path):
    state = str(tmp_path / "state")
    homeostat("local", "run", "--state", state)
    repo = load_config(default_config_path()).repo(NOTEBRIDGE)
    forge = LocalForge(tmp_path / "state" / "forge")
    pr = forge.list_own_open_prs(repo)[0]

    stranger = homeostat(
        "local",
        "comment",
        "--state",
        state,
        NOTEBRIDGE,
        str(pr.number),
        "/homeostat stop",
        "--as",
        "drive-by",
    )
    assert "nothing changed, and Homeostat did not reply" in stranger
    assert forge.get_pr(repo, pr.number).state == "open"
    assert [c["author"] for c in forge.issue_comments(repo, pr.number)] == ["drive-by"]

    review = homeostat(
        "local",
        "comment",
        "--state",
        state,
        NOTEBRIDGE,
        str(pr.number),
        "Keep the user's notes.",
        "--review",
        "changes",
    )
    assert f"Homeostat pushed a new commit on top of PR #{pr.number} (2 commits now" in " ".join(
        review.split()
    )
    after = forge.get_pr(repo, pr.number)
    assert after.draft and forge.is_ancestor(repo, pr.head_sha, after.head_sha)

    unknown = homeostat("local", "comment", "--state", state, NOTEBRIDGE, str(pr.number), "/homeostat dance")
    assert "Homeostat replied: `/homeostat dance` is not a command I know" in " ".join(unknown.split())
