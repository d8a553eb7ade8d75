"""Frozen fingerprint algorithms of earlier versions, kept callable so an upgrade can find the
records (attempts, PRs, patterns) an error already has under its old id.

Each `vYYYY_MM` package is a verbatim copy of the parser and fingerprinter as they were when that
version was current (only its imports were rewritten); never edit one. Changelog and the upgrade
rule: docs/FINGERPRINTING.md.
"""
