"""Symbolication: minified in-app frames → original file, function and line, through source maps
read with Sentry's `symbolic` library. Runs before fingerprinting (docs/SOURCEMAPS.md).

    report, stats = symbolicate(report, maps)   # maps: a SourceMapStore, or None
    fp = fingerprint_with_history(report)   # homeostat_core.fingerprint_history
"""

from homeostat_core.symbolication.forge_maps import ForgeSourceMaps
from homeostat_core.symbolication.symbolicate import (
    ChainedSourceMaps,
    SymbolicationStats,
    Symbolicator,
    bundle_path_of,
    resolve_source,
    symbolicate,
)

__all__ = [
    "ChainedSourceMaps",
    "ForgeSourceMaps",
    "SymbolicationStats",
    "Symbolicator",
    "bundle_path_of",
    "resolve_source",
    "symbolicate",
]
