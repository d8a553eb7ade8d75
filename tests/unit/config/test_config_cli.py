"""`homeostat config check` exit codes and output through the real CLI entry point."""

from __future__ import annotations

from pathlib import Path

from homeostat_core.cli import main

SHIPPED = Path(__file__).resolve().parents[3] / ".homeostat" / "repos.yml"


def test_check_shipped_config(capsys):
    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == f"OK: {SHIPPED}: version 1, 3 repositories"


def test_check_bad_config_lists_every_problem(tmp_path, capsys):
    path = tmp_path / "repos.yml"
    path.write_text("version: 2\nrepositories: []\nextra: 1\n")
    assert main(["config", "check", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert f"{path}: extra: unknown key" in err
    assert any(line.startswith(f"{path}: version: unsupported version 2") for line in err)
    assert f"{path}: repositories: must list at least one repository" in err
    assert err[-1] == f"3 problem(s) in {path}"


def test_check_missing_and_invalid_files(tmp_path, capsys):
    assert main(["config", "check", str(tmp_path / "missing.yml")]) == 3  # unusable input
    assert "missing.yml: no such file" in " ".join(capsys.readouterr().err.split())
    bad = tmp_path / "bad.yml"
    bad.write_text("version: [1\n")
    assert main(["config", "check", str(bad)]) == 1
    assert "invalid YAML" in capsys.readouterr().err


def test_no_subcommand_prints_help(capsys):
    assert main([]) == 2
    assert "usage: homeostat" in capsys.readouterr().out
