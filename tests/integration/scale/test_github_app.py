"""GitHub App auth end to end against the fake GitHub: JWT → installation token → calls, token
refresh, key rotation, and the bad inputs that must name the repository and the fix."""

from __future__ import annotations

import pytest

from homeostat_core.adapters.github_auth import CredentialError, ForgeRouter
from homeostat_core.adapters.github_forge import ACCEPT, API_VERSION
from tests.contract.conftest import fast_retry
from tests.fakes.fake_github import FakeGitHub
from tests.integration.scale.conftest import app_secret, new_key_pair, repo

APP_ID = 4242
INSTALLATION = 7
PAT = "github_pat_fake"
NO_PACING = {"retry": fast_retry(), "seconds_between_requests": None, "seconds_between_writes": None}


@pytest.fixture
def fake(app_keys):
    _, public = app_keys
    with FakeGitHub(tokens=[PAT]) as github:
        github.configure_app(APP_ID, public)
        github.add_installation(INSTALLATION, ["acme/web", "acme/api"], account="acme")
        for slug in ("acme/web", "acme/api", "acme/hidden", "me/solo"):
            github.add_repo(slug, "main", {"src/app.js": "export const x = 1;\n"})
            github.add_issue(slug, "TypeError: x is undefined", "body", ["robot"], "logger-bot")
        yield github


def _router(fake, private_pem, *, token=PAT):
    secrets = {"app": app_secret(APP_ID, private_pem), "token": token}
    router = ForgeRouter(
        base_url=fake.base_url,
        read_token=lambda: secrets["token"],
        read_app=lambda: secrets["app"],
        forge_options=NO_PACING,
    )
    return router, secrets


def test_app_flow_mints_one_installation_token_and_uses_it_for_the_calls(fake, app_keys):
    # Given a repo with installation_id and the App's key in the secret
    router, _ = _router(fake, app_keys[0])
    web, api = repo("acme/web", INSTALLATION), repo("acme/api", INSTALLATION)
    seen_headers = []
    dispatch = fake._dispatch

    def recording(method, target, headers, raw):
        seen_headers.append((method, target, headers))
        return dispatch(method, target, headers, raw)

    fake._dispatch = recording
    # When two repos of that installation list their issues and read a file
    assert [i.title for i in router.list_trigger_issues(web)] == ["TypeError: x is undefined"]
    assert router.read_file(api, "src/app.js") == "export const x = 1;\n"
    router.list_trigger_issues(api)
    # Then the App signed one JWT to mint one installation token, used for every repo call
    assert fake.tokens_minted() == 1
    mints = [h for m, t, h in seen_headers if t.startswith("/app/installations/")]
    assert len(mints) == 1 and mints[0]["Authorization"].startswith("Bearer ")
    repo_calls = [h for m, t, h in seen_headers if t.startswith("/repos/")]
    assert repo_calls and all(h["Authorization"].startswith("token ghs_") for h in repo_calls)
    # And every request pins the REST API version and media type
    for _, _, headers in seen_headers:
        assert headers["X-GitHub-Api-Version"] == API_VERSION
        assert headers["Accept"] == ACCEPT
    # And the calls are counted (token minting included)
    assert router.api_calls == len(fake.calls)


def test_an_installation_token_is_refreshed_before_it_expires(app_keys):
    _, public = app_keys
    with FakeGitHub(tokens=[]) as fake:
        # Given installation tokens that live 10 s: inside PyGithub's 20 s refresh margin at once
        fake.configure_app(APP_ID, public, token_ttl_s=10)
        fake.add_installation(INSTALLATION, ["acme/web"])
        fake.add_repo("acme/web", "main", {"src/app.js": "x\n"})
        router, _ = _router(fake, app_keys[0], token="")
        web = repo("acme/web", INSTALLATION)
        # When the repo makes three calls
        for _ in range(3):
            assert router.read_file(web, "src/app.js") == "x\n"
        # Then each call found its token about to expire and minted a fresh one: none was refused
        # (the second and third reads are conditional: 304, unchanged)
        assert fake.tokens_minted() == 3
        assert [c.status for c in fake.calls if c.path.startswith("/repos/")] == [200, 304, 304]


def test_the_fake_refuses_an_expired_installation_token(app_keys):
    import requests

    _, public = app_keys
    with FakeGitHub(tokens=[]) as fake:
        fake.configure_app(APP_ID, public, token_ttl_s=0)
        fake.add_installation(INSTALLATION, ["acme/web"])
        fake.add_repo("acme/web")
        router, _ = _router(fake, app_keys[0], token="")
        forge = router.forge_for(repo("acme/web", INSTALLATION))
        token = forge._gh.requester.auth.token  # minted now, expired at once
        answer = requests.get(f"{fake.base_url}/repos/acme/web", headers={"Authorization": f"token {token}"})
        assert answer.status_code == 401 and answer.json()["message"] == "Bad credentials"


def test_a_rotated_key_is_picked_up_without_a_restart(fake, app_keys):
    router, secrets = _router(fake, app_keys[0])
    web = repo("acme/web", INSTALLATION)
    router.list_trigger_issues(web)
    # Given the operator generated a new key on GitHub (the old one deleted) and put it in the secret
    new_private, new_public = new_key_pair()
    fake.rotate_app_key(new_public)
    secrets["app"] = app_secret(APP_ID, new_private)
    # When the next run reads the secret (Powertools max_age elapsed), Then it signs with the new key
    assert [i.title for i in router.list_trigger_issues(web)] == ["TypeError: x is undefined"]
    assert fake.tokens_minted() == 2


def test_a_personal_access_token_still_serves_repos_without_an_installation(fake, app_keys):
    router, _ = _router(fake, app_keys[0])
    assert len(router.list_trigger_issues(repo("me/solo"))) == 1
    assert fake.tokens_minted() == 0


@pytest.mark.parametrize(
    ("slug", "installation", "setup", "expected"),
    [
        (
            "acme/web",
            99,
            None,
            r"acme/web \(installation_id 99\): App 4242 has no installation 99: install the App",
        ),
        (
            "acme/hidden",
            INSTALLATION,
            None,
            r"acme/hidden \(installation_id 7\): the App cannot see this repository",
        ),
        ("acme/web", INSTALLATION, "revoke", r"acme/web \(installation_id 7\): GitHub refuses the App's key"),
    ],
)
def test_bad_app_access_names_the_repository_and_the_fix_and_skips_only_it(
    fake, app_keys, slug, installation, setup, expected
):
    router, _ = _router(fake, app_keys[0])
    if setup == "revoke":  # the key in the secret was deleted on GitHub
        fake.rotate_app_key(new_key_pair()[1])
    # When the misconfigured repo's run lists its issues, Then the error names it and the fix
    with pytest.raises(CredentialError, match=expected):
        router.list_trigger_issues(repo(slug, installation))
    # And a repo on another credential still runs
    assert len(router.list_trigger_issues(repo("me/solo"))) == 1


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        ("", "is empty"),
        ("not json", "is not JSON"),
        ('{"app_id": "1"}', "needs both app_id and private_key"),
        ('{"app_id": "1", "private_key": "hunter2"}', "not a PEM key"),
    ],
)
def test_a_bad_app_secret_names_the_repository_and_what_to_put(fake, secret, expected):
    router = ForgeRouter(base_url=fake.base_url, read_token=lambda: PAT, read_app=lambda: secret)
    with pytest.raises(CredentialError, match=rf"acme/web \(installation_id 7\): .*{expected}"):
        router.list_trigger_issues(repo("acme/web", INSTALLATION))


def test_no_token_for_a_repo_without_installation_says_both_ways_out(fake):
    router = ForgeRouter(base_url=fake.base_url, read_token=lambda: None, read_app=lambda: None)
    with pytest.raises(CredentialError, match=r"me/solo: no GitHub token .* or set installation_id"):
        router.list_trigger_issues(repo("me/solo"))


def test_doctor_checks_every_app_repository_and_names_the_fix(fake, app_keys, tmp_path, monkeypatch, capsys):
    import yaml

    from homeostat_core.cli import main

    # Given a repos.yml with a good App repo, one the App cannot see, and an unknown installation
    repos = [
        {
            "slug": s,
            "branch": "main",
            "max_prs_per_run": 1,
            "labels": ["fix"],
            "path_filters": {"include": ["src/"]},
        }
        | {"installation_id": i}
        for s, i in (("acme/web", INSTALLATION), ("acme/hidden", INSTALLATION), ("acme/api", 99))
    ]
    (tmp_path / "repos.yml").write_text(yaml.safe_dump({"version": 1, "repositories": repos}))
    monkeypatch.setenv("HOMEOSTAT_REPOS_FILE", str(tmp_path / "repos.yml"))
    monkeypatch.setenv("HOMEOSTAT_GITHUB_API_URL", fake.base_url)
    monkeypatch.setenv("GITHUB_APP", app_secret(APP_ID, app_keys[0]))
    monkeypatch.setenv("GITHUB_TOKEN", PAT)
    # When doctor runs
    code = main(["doctor"])
    out = capsys.readouterr().out
    # Then each App repository has its own line, the bad ones naming the fix
    assert code == 1
    assert "ok  acme/web: installation 7 can see it" in out
    assert "ERR acme/hidden (installation_id 7): the App cannot see this repository" in out
    assert "ERR acme/api (installation_id 99): App 4242 has no installation 99" in out


def test_get_app_and_the_diagnosis_go_through_the_transport(fake, app_keys):
    # Given GitHub failing once on GET /app and once on the installation lookup
    router, _ = _router(fake, app_keys[0])
    web = repo("acme/web", INSTALLATION)
    seen = []
    dispatch = fake._dispatch

    def recording(method, target, headers, raw):
        seen.append((target.split("?")[0], headers))
        return dispatch(method, target, headers, raw)

    fake._dispatch = recording
    fake.inject(502, 1, method="GET", path_contains="/app")
    # When Homeostat asks who it is as the App, and diagnoses a repository it cannot see
    assert router.whoami(web) == "homeostat[bot]"
    fake.inject(502, 1, method="GET", path_contains="/acme/hidden/installation")
    assert "the App cannot see this repository" in router.diagnose(repo("acme/hidden", INSTALLATION))
    # Then both were retried, with the pinned API version and media type, and counted
    app_calls = [
        (c.path, c.status) for c in fake.calls if c.path.startswith("/app") or "installation" in c.path
    ]
    assert ("/app", 502) in app_calls and ("/app", 200) in app_calls
    assert ("/repos/acme/hidden/installation", 502) in app_calls
    assert ("/repos/acme/hidden/installation", 404) in app_calls
    jwt_calls = [h for path, h in seen if not path.startswith("/app/installations/7/access_tokens")]
    assert all(h["X-GitHub-Api-Version"] == API_VERSION and h["Accept"] == ACCEPT for h in jwt_calls)
    assert router.forge_for(web).api_calls == 2  # GET /app, twice: both counted
