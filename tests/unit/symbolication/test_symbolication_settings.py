"""The source-map size limit and disk cache are settings, refused with the variable named."""

from __future__ import annotations

import pytest

from homeostat_core.settings import SettingsError, parse_settings


def test_defaults_skip_maps_over_20_mb_and_cache_200_mb_on_disk():
    settings = parse_settings({})
    assert (settings.sourcemap_max_mb, settings.sourcemap_cache_mb) == (20, 200)


def test_values_within_bounds_are_read():
    settings = parse_settings({"HOMEOSTAT_SOURCEMAP_MAX_MB": "50", "HOMEOSTAT_SOURCEMAP_CACHE_MB": "0"})
    assert (settings.sourcemap_max_mb, settings.sourcemap_cache_mb) == (50, 0)


@pytest.mark.parametrize("value", ["0", "51", "-1", "20.5", "", "4294967297", "twenty"])
def test_a_map_limit_outside_1_to_50_mb_is_refused_naming_the_variable(value):
    with pytest.raises(SettingsError, match="HOMEOSTAT_SOURCEMAP_MAX_MB") as error:
        parse_settings({"HOMEOSTAT_SOURCEMAP_MAX_MB": value})
    assert "from 1 to 50" in str(error.value)


@pytest.mark.parametrize("value", ["-1", "1.5", "", "lots"])
def test_a_cache_size_that_is_not_a_whole_number_is_refused(value):
    with pytest.raises(SettingsError, match="HOMEOSTAT_SOURCEMAP_CACHE_MB"):
        parse_settings({"HOMEOSTAT_SOURCEMAP_CACHE_MB": value})
