"""Reusable fakes for tests: a GitHub REST server on loopback (fake_github.FakeGitHub)."""
