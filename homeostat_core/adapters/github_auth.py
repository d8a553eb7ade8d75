"""Which GitHub credential pays for a repository's calls, and one forge per credential.

- A repository with `installation_id` in repos.yml is served as that GitHub App installation:
  the App's id and private key come from a secret (JSON `app_id`, `private_key`), PyGithub's
  `Auth.AppAuth`/`AppInstallationAuth` sign the JWT and mint the installation token on demand,
  and mint a new one shortly before it expires.
- Any other repository is served with the personal access token.

Secrets are read through a `read_secret` callable (Powertools Parameters with a max age in Lambda,
so a rotated key or token is used within minutes, without a redeploy). A changed secret builds a
new forge for that credential; an unchanged one keeps the forge and its ETag cache.

`ForgeRouter` is the Forge port over these: every Forge method takes the repository first, and
the router hands the call to that repository's credential's forge. When a repository's first call
is refused, the router asks GitHub why (with the App's JWT) and raises a ForgeError naming the
repository and the fix: unknown installation, App without access to the repository, revoked or
wrong key, missing secret. Only that repository's run fails; the others go on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeostat_core.adapters.aws import read_secret
from homeostat_core.config import PathFilters, RepoConfig
from homeostat_core.ports import ForgeError, RateLimitLow

TOKEN_CREDENTIAL = "token"


class CredentialError(ForgeError):
    """A repository's GitHub credential is missing or refused; the message names the fix."""


@dataclass(frozen=True, slots=True)
class AppCredentials:
    app_id: str
    private_key: str


def parse_app_secret(value: str | None, source: str) -> AppCredentials:
    """The App secret's JSON document; a CredentialError says what is wrong with it."""
    if not value:
        raise CredentialError(f"{source} is empty: put the App's app_id and private_key (docs/DEPLOY.md)")
    try:
        data = json.loads(value)
    except json.JSONDecodeError:
        raise CredentialError(
            f'{source} is not JSON: expected {{"app_id": ..., "private_key": ...}}'
        ) from None
    app_id = str(data.get("app_id") or "").strip() if isinstance(data, dict) else ""
    key = str(data.get("private_key") or "") if isinstance(data, dict) else ""
    if not app_id or not key.strip():
        raise CredentialError(f"{source} needs both app_id and private_key (docs/DEPLOY.md, GitHub App)")
    if "PRIVATE KEY-----" not in key:
        raise CredentialError(f"{source}: private_key is not a PEM key (paste the .pem file's text)")
    return AppCredentials(app_id=app_id, private_key=key)


def _token_repo() -> RepoConfig:
    return RepoConfig(
        slug="(token)/(no repository)",
        branch="main",
        max_prs_per_run=1,
        labels=(),
        path_filters=PathFilters(("",), ()),
    )


def credential_of(repo: RepoConfig) -> str:
    return f"installation {repo.installation_id}" if repo.installation_id is not None else TOKEN_CREDENTIAL


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


_TOKEN_REPO = _token_repo()


class ForgeRouter:
    """The Forge port over one GitHubForge per credential (App installation or token)."""

    def __init__(
        self,
        *,
        base_url: str,
        read_token: Callable[[], str | None],
        read_app: Callable[[], str | None],
        token_source: str = "the GitHub token",
        app_source: str = "the GitHub App secret",
        forge_options: dict[str, Any] | None = None,
    ):
        self._base_url = base_url
        self._read_token = read_token
        self._read_app = read_app
        self._token_source = token_source
        self._app_source = app_source
        self._options = dict(forge_options or {})
        self._forges: dict[str, tuple[str, Any]] = {}  # credential -> (secret fingerprint, forge)
        self._time_left: Callable[[], float] | None = None
        self._closed_calls = 0  # api calls of forges replaced after a rotation

    def __repr__(self) -> str:
        return f"ForgeRouter(credentials={sorted(self._forges)}, api_calls={self.api_calls})"

    @property
    def api_calls(self) -> int:
        return self._closed_calls + sum(forge.api_calls for _, forge in self._forges.values())

    # --- choosing the forge ----------------------------------------------------------------

    def forge_for(self, repo: RepoConfig):
        credential = credential_of(repo)
        secret = self._secret_for(repo)
        fingerprint = _fingerprint(secret)
        held = self._forges.get(credential)
        if held is None or held[0] != fingerprint:  # first use, or the secret was rotated
            if held is not None:
                self._closed_calls += held[1].api_calls
            forge = self._build(repo, secret, credential)
            if self._time_left is not None:
                forge.set_time_budget(self._time_left)
            self._forges[credential] = (fingerprint, forge)
        return self._forges[credential][1]

    def _secret_for(self, repo: RepoConfig) -> str:
        if repo.installation_id is None:
            token = self._read_token()
            if not token:
                raise CredentialError(
                    f"{repo.slug}: no GitHub token in {self._token_source}: put a token there, or set "
                    "installation_id in repos.yml to use the GitHub App"
                )
            return token
        secret = self._read_app() or ""
        try:
            parse_app_secret(secret, self._app_source)
        except CredentialError as exc:
            raise CredentialError(f"{repo.slug} (installation_id {repo.installation_id}): {exc}") from None
        return secret

    def _build(self, repo: RepoConfig, secret: str, credential: str):
        # lazy: PyGithub loads with the first GitHub call
        from homeostat_core.adapters.github_forge import GitHubForge

        if repo.installation_id is None:
            return GitHubForge.from_token(secret, self._base_url, credential=credential, **self._options)
        app = parse_app_secret(secret, self._app_source)
        return GitHubForge.from_app(
            app.app_id,
            app.private_key,
            repo.installation_id,
            self._base_url,
            credential=credential,
            **self._options,
        )

    def set_time_budget(self, time_left: Callable[[], float]) -> None:
        self._time_left = time_left
        for _, forge in self._forges.values():
            forge.set_time_budget(time_left)

    def rate_limit_low(self, repo: RepoConfig | None = None):
        """The reset time when this repo's credential (any credential, without a repo) is low."""
        forges = [self._forges.get(credential_of(repo))] if repo is not None else list(self._forges.values())
        resets = [held[1].rate_limit_low() for held in forges if held is not None]
        resets = [reset for reset in resets if reset is not None]
        return max(resets) if resets else None

    # --- the Forge port: every method takes the repository first ---------------------------

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            repo = args[0] if args else kwargs.get("repo")
            if not isinstance(repo, RepoConfig):
                # Not about one repository (e.g. who am I): the token's forge answers. A method
                # whose answer depends on the credential should take the repository first.
                repo = _TOKEN_REPO
            forge = self.forge_for(repo)
            try:
                return getattr(forge, name)(*args, **kwargs)
            except RateLimitLow:
                raise
            except ForgeError as exc:
                if name != "list_trigger_issues" or repo.installation_id is None:
                    raise
                # The run's first call was refused: say why, naming the repo and the fix.
                raise CredentialError(self.diagnose(repo, str(exc))) from None

        return call

    # --- why a repository's App access fails -----------------------------------------------

    def diagnose(self, repo: RepoConfig, refusal: str = "") -> str:
        """One line naming the repository, what is wrong with its App access and what to do."""
        try:
            app = parse_app_secret(self._read_app(), self._app_source)
        except CredentialError as exc:
            return f"{repo.slug}: {exc}"
        return diagnose_app_access(app, repo, app_transport(app, self._base_url, self._options), refusal)


def app_transport(app: AppCredentials, base_url: str, options: dict[str, Any] | None = None):
    """Requests signed with the App's JWT, through the same transport as every other GitHub
    request (API version pin, retries, rate-limit budget, request count)."""
    # Imported here: PyGithub loads with the first GitHub call, not with the composition root.
    from github import Auth

    from homeostat_core.adapters.github_transport import Transport  # imports PyGithub: as above

    wanted = ("retry", "per_page", "timeout", "seconds_between_requests", "seconds_between_writes")
    kwargs = {k: v for k, v in (options or {}).items() if k in wanted}
    return Transport.create(
        Auth.AppAuth(app.app_id, app.private_key), base_url, credential="the App (JWT)", **kwargs
    )


def diagnose_app_access(app: AppCredentials, repo: RepoConfig, jwt, refusal: str = "") -> str:
    """Ask GitHub, as the App (JWT, through `app_transport`), about the installation and the
    repository; '' when all is well and nothing was refused. Used by the router after a refusal
    and by `homeostat doctor`."""
    # Imported here for the same reason as in app_transport.
    from homeostat_core.adapters.github_transport import GitHubError

    where = f"{repo.slug} (installation_id {repo.installation_id})"
    try:
        jwt.get("read the App's installation", f"/app/installations/{repo.installation_id}")
    except GitHubError as exc:
        if exc.status == 401:
            return (
                f"{where}: GitHub refuses the App's key (revoked, or not the key of app_id {app.app_id}): "
                "generate a new private key on the App's page and put it in the App secret"
            )
        if exc.status == 404:
            return (
                f"{where}: App {app.app_id} has no installation {repo.installation_id}: install the App on "
                f"{repo.owner} and copy the id from the installation's settings URL into repos.yml"
            )
        return f"{where}: GitHub answered HTTP {exc.status} about the installation"
    except ForgeError as exc:  # unreachable, or the App's own rate limit
        return f"{where}: not checked: {exc}"
    try:
        on_repo = jwt.get("read the repository's installation", f"/repos/{repo.slug}/installation")
        if on_repo["id"] != repo.installation_id:
            return (
                f"{where}: the repository belongs to installation {on_repo['id']}, not "
                f"{repo.installation_id}: fix installation_id in repos.yml"
            )
    except GitHubError as exc:
        if exc.status == 404:
            return (
                f"{where}: the App cannot see this repository: add it to the installation's repositories "
                f"(GitHub → {repo.owner} → Settings → GitHub Apps → Configure) or fix the slug"
            )
        return f"{where}: GitHub answered HTTP {exc.status} about the repository's installation"
    except ForgeError as exc:
        return f"{where}: not checked: {exc}"
    return f"{where}: {refusal}" if refusal else ""


def check_app_repositories(settings, repos) -> list[tuple[bool, str]]:
    """`homeostat doctor`: the App secret, then each repository's installation and access."""
    source = f"secret {settings.github_app_secret}" if settings.github_app_secret else "$GITHUB_APP"
    try:
        app = parse_app_secret(read_secret(settings.github_app_secret, "GITHUB_APP"), source)
    except CredentialError as exc:
        return [(False, f"GitHub App for {len(repos)} repositories: {exc}")]
    except Exception as exc:  # Secrets Manager unreachable, no AWS credentials
        return [(False, f"GitHub App: cannot read {source}: {type(exc).__name__}")]
    results = [(True, f"GitHub App {app.app_id} (from {source}) for {len(repos)} repositories")]
    jwt = app_transport(app, settings.github_api_url)  # one transport: one budget, one pin
    for repo in repos:
        problem = diagnose_app_access(app, repo, jwt)
        results.append(
            (not problem, problem or f"{repo.slug}: installation {repo.installation_id} can see it")
        )
    return results
