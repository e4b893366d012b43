"""The national layer: the exclusions in force on each date, cited to the measure in force then."""

from __future__ import annotations

from datetime import date

import pytest

from engine.policy.resolve import value_in_force
from engine.runtime.library import PolicyLibrary


@pytest.fixture(scope="module")
def library() -> PolicyLibrary:
    return PolicyLibrary.open()


@pytest.mark.parametrize(("region", "day", "list_doc", "pension_doc", "pension_excluded"), [
    ("hebi", date(2017, 10, 1), "mca-2012-220", "gov-2016-70", True),
    ("suining", date(2017, 10, 1), "mca-2012-220", "gov-2016-70", True),
    ("hebi", date(2021, 3, 1), "mca-2012-220", "mca-2021-57", True),
    ("yangjiang", date(2021, 7, 1), "mca-2021-57", "mca-2021-57", True),
    ("inner_mongolia", date(2026, 1, 1), "mca-2021-57", "mca-2021-57", False),
])
def test_each_region_cites_the_national_rule_in_force_on_the_date(
        library: PolicyLibrary, region: str, day: date, list_doc: str, pension_doc: str,
        pension_excluded: bool) -> None:
    chain = library.region(region).chain
    listed = value_in_force(chain.parameters["income.national_excluded_kinds"], day)
    pension = value_in_force(chain.parameters["income.pension_base_excluded"], day)
    assert listed is not None and listed.source.doc == list_doc
    assert pension is not None and pension.source.doc == pension_doc
    assert library.resolve(region, day).values["income.pension_base_excluded"] is pension_excluded
    assert {"survivor_compensation", "preferential_payment", "reward_subsidy", "social_assistance"} <= set(
        library.resolve(region, day).values["income.national_excluded_kinds"])


@pytest.mark.parametrize("region", ["hebi", "suining", "yangjiang", "inner_mongolia"])
def test_no_region_sets_the_national_list_aside(library: PolicyLibrary, region: str) -> None:
    chain = library.region(region).chain
    assert [layer.key for layer in chain.layers if "income.national_excluded_kinds" in layer.parameters] == ["common"]
