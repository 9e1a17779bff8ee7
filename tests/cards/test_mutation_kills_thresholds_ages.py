"""Ages, tunable figures and their checks (cards/thresholds.py), pinned so that mutation testing (README, Mutation
testing) notices any change to them.

The expected values are written here, not read back from `cards`:

| Item                     | Expected                                                                       |
|--------------------------|--------------------------------------------------------------------------------|
| age in completed years   | a birthday counts on the day itself; 29 February born: 28 February is not it    |
| an interval applies      | from `years` completed years and at least `days` days old (both must hold)       |
| a site's figure          | inside the knowledge's bounds, bounds included; days and years whole numbers    |
| refractory.after-days    | shipped 90 d, a site may set 30-180 d                                           |
| botulinum.min-age-years  | shipped 12 a                                                                    |
"""

from __future__ import annotations

from datetime import date
from types import MappingProxyType

import pytest

from builders import SHIPPED_THRESHOLDS
from cards.thresholds import Age, AgeFrom, Limit, Parameter, ThresholdsError


@pytest.mark.parametrize(("born", "today", "years", "days"), [
    (date(2000, 3, 15), date(2026, 3, 15), 26, 9496),
    (date(2000, 3, 15), date(2026, 3, 14), 25, 9495),
    (date(2000, 3, 15), date(2026, 2, 20), 25, 9473),
    (date(2000, 3, 15), date(2026, 4, 1), 26, 9513),
    (date(2000, 2, 29), date(2026, 2, 28), 25, 9496),
    (date(2000, 2, 29), date(2026, 3, 1), 26, 9497),
    (date(2026, 11, 20), date(2026, 11, 25), 0, 5),
])
def test_age_is_completed_years_and_days_since_birth(born, today, years, days) -> None:
    assert Age.on(born, today) == Age(years, days)


@pytest.mark.parametrize(("start", "age", "reached"), [
    (AgeFrom(years=18), Age(18, 6574), True), (AgeFrom(years=18), Age(17, 6573), False),
    (AgeFrom(days=7), Age(0, 7), True), (AgeFrom(days=7), Age(0, 6), False),
    (AgeFrom(years=1, days=400), Age(1, 399), False), (AgeFrom(years=1, days=400), Age(1, 400), True),
    (AgeFrom(years=2, days=10), Age(1, 900), False), (AgeFrom(), Age(0, 0), True),
])
def test_an_interval_applies_from_its_years_and_days(start, age, reached) -> None:
    assert start.reached(age) is reached


def _parameter(value: float, unit: str = "d", bounds: tuple[float, float] = (30, 180)) -> Parameter:
    return Parameter(Limit.REFRACTORY_AFTER_DAYS, value, unit, bounds, "source", (), 90)


@pytest.mark.parametrize("value", [30, 180, 90])
def test_a_figure_on_or_inside_its_bounds_is_accepted(value) -> None:
    parameter = _parameter(value)
    assert parameter.checked("here") is parameter


@pytest.mark.parametrize(("parameter", "message"), [
    (_parameter(29), "here: 29 d is outside the safe bounds 30-180 d stated by the knowledge"),
    (_parameter(181), "here: 181 d is outside the safe bounds 30-180 d stated by the knowledge"),
    (_parameter(float("nan")), "here: nan d is outside the safe bounds 30-180 d stated by the knowledge"),
    (_parameter(float("inf"), bounds=(30, float("inf"))),
     "here: inf d is outside the safe bounds 30-inf d stated by the knowledge"),
    (_parameter(90, bounds=(180, 30)), "here.bounds: the lower bound is above the upper one"),
    (_parameter(90.5), "here: must be a whole number of days"),
    (_parameter(12.5, unit="a", bounds=(10, 20)), "here: must be a whole number of years"),
])
def test_a_figure_outside_its_bounds_or_not_whole_is_refused(parameter, message) -> None:
    with pytest.raises(ThresholdsError) as raised:
        parameter.checked("here")
    assert str(raised.value) == message


def test_equal_bounds_and_fractions_in_other_units_are_accepted() -> None:
    assert _parameter(90, bounds=(90, 90)).checked("here").value == 90
    assert _parameter(1.25, unit="mg/dL", bounds=(1.0, 1.5)).checked("here").value == 1.25


def test_whole_figures_and_overrides() -> None:
    assert SHIPPED_THRESHOLDS.whole(Limit.REFRACTORY_AFTER_DAYS) == 90
    assert SHIPPED_THRESHOLDS.whole(Limit.BOTULINUM_MIN_AGE_YEARS) == 12
    tuned = SHIPPED_THRESHOLDS.with_overrides({Limit.REFRACTORY_AFTER_DAYS: 120})
    assert tuned[Limit.REFRACTORY_AFTER_DAYS] == 120.0 and isinstance(tuned[Limit.REFRACTORY_AFTER_DAYS], float)
    assert tuned.parameters[Limit.REFRACTORY_AFTER_DAYS].shipped == 90
    assert isinstance(tuned.parameters, MappingProxyType)
    assert SHIPPED_THRESHOLDS[Limit.REFRACTORY_AFTER_DAYS] == 90  # the shipped thresholds are left alone
    with pytest.raises(ThresholdsError, match=r"^refractory.after-days: 181 d is outside the safe bounds 30-180 d"):
        SHIPPED_THRESHOLDS.with_overrides({Limit.REFRACTORY_AFTER_DAYS: 181})


def test_a_severe_limit_equal_to_the_moderate_one_is_refused() -> None:
    # Equal limits would leave the moderate band empty: the ordering is strict.
    with pytest.raises(ThresholdsError) as raised:
        SHIPPED_THRESHOLDS.with_overrides({Limit.MAGNESIUM_SEVERE_BELOW: 1.2, Limit.MAGNESIUM_MODERATE_BELOW: 1.2})
    assert str(raised.value) == ("magnesium.severe-below: must stay below magnesium.moderate-below (1.2 is not below "
                                 "1.2)")
    tuned = SHIPPED_THRESHOLDS.with_overrides({Limit.MAGNESIUM_SEVERE_BELOW: 1.1, Limit.MAGNESIUM_MODERATE_BELOW: 1.2})
    assert tuned[Limit.MAGNESIUM_SEVERE_BELOW] == 1.1
