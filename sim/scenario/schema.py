"""The scenario schema: every parameter with its unit, default and valid range.

A scenario is a frozen, validated tree of sections.  Each field carries its
description and unit, so that error messages, ``spc show`` and the reference
documentation are all generated from this one place.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def param(default: Any, unit: str, description: str, **bounds: Any) -> Any:
    """A scenario parameter: default, unit, one-line description and bounds (ge, le, gt, lt)."""
    return Field(default, description=description, json_schema_extra={"unit": unit}, **bounds)


class Section(BaseModel):
    """A table of a scenario file: strict, frozen, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, validate_default=True)


class RunSection(Section):
    """How long to simulate, with which seed, in which mode."""

    years: float = param(3.0, "years", "simulated horizon (a year is 365 days)", gt=0, le=100)
    seed: int = param(20261123, "integer", "root seed of all random streams", ge=0, lt=2**63)
    mode: Literal["behaviour", "queue"] = param(
        "behaviour",
        "choice",
        "'behaviour' runs the service-profit chain; 'queue' switches all behaviour off "
        "(Poisson arrivals from an infinite population, see [queue])",
    )
    review_days: float = param(
        365 / 12,
        "days",
        "length of the organization's review period, at the end of which a period's "
        "metrics are recorded",
        gt=0,
        le=3660,
    )


class QueueSection(Section):
    """Queue mode: an M/M/c (optionally +M) system for validation against theory."""

    arrival_rate: float = param(
        9.0, "per hour", "Poisson arrival rate of the infinite population", gt=0, le=1e6
    )
    service_rate: float = param(
        1.0, "per hour", "rate of the exponential service time of each provider", gt=0, le=1e6
    )
    patience_mean: float = param(
        0.0,
        "hours",
        "mean of the exponential patience; 0 means infinitely patient",
        ge=0,
        le=1e6,
    )


class CustomersSection(Section):
    """The customer population (behaviour mode)."""

    initial: int = param(2000, "customers", "starting population of customers", ge=0, le=10_000_000)
    visits_per_month: float = param(
        1.5, "visits per month", "mean visit rate of a customer", gt=0, le=100
    )
    patience_mean: float = param(
        20.0,
        "minutes",
        "mean of the exponential patience in the queue; 0 means infinitely patient",
        ge=0,
        le=10_000,
    )


class ProvidersSection(Section):
    """The front-line providers (employees)."""

    count: int = param(4, "providers", "providers employed (the staffing level)", ge=1, le=10_000)
    service_time_mean: float = param(
        20.0,
        "minutes",
        "mean service time of a fully competent provider (behaviour mode)",
        gt=0,
        le=10_000,
    )
    service_time_cv: float = param(
        0.5,
        "ratio",
        "coefficient of variation of the gamma service time (1 = exponential)",
        gt=0,
        le=5,
    )
    annual_quit_rate: float = param(
        0.2, "per year", "constant quit hazard of a provider (behaviour mode)", ge=0, le=20
    )
    hiring_delay_days: float = param(
        30.0, "days", "time to replace a provider who left", ge=0, le=3650
    )


class OrganizationSection(Section):
    """The organization's policies."""

    reliability: float = param(
        0.9, "share", "reliability of the organization's processes and products", ge=0, le=1
    )
    empowerment: float = param(
        0.5, "share", "how far front-line providers may resolve problems themselves", ge=0, le=1
    )
    wait_target: float = param(
        5.0,
        "minutes",
        "service-level target: a wait up to this long counts as 'within target'",
        ge=0,
        le=10_000,
    )


class MarketSection(Section):
    """The market the organization competes in."""

    competition: float = param(
        0.5, "share", "competition intensity: 0 sheltered, 1 fiercely contested", ge=0, le=1
    )


class ScenarioParameters(Section):
    """All parameters of a scenario (the resolved file, less its name and description)."""

    run: RunSection = RunSection()
    queue: QueueSection = QueueSection()
    customers: CustomersSection = CustomersSection()
    providers: ProvidersSection = ProvidersSection()
    organization: OrganizationSection = OrganizationSection()
    market: MarketSection = MarketSection()


SECTIONS: dict[str, type[Section]] = {
    name: info.annotation  # type: ignore[misc]
    for name, info in ScenarioParameters.model_fields.items()
}
