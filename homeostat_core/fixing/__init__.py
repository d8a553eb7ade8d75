"""The fix engine: tiers and routing, prompts, scrubbing, edits and their validation.

Import from the submodules (engine, tiers, prompts, scrub, edits, validation, model_settings);
this package file stays empty so `observability` can use `scrub` without loading the engine.
See docs/FIX-ENGINE.md and docs/TIERS.md.
"""
