"""What a crawl samples and how gently (`CrawlOptions`), and how it ended (`CrawlOutcome`).

`CRAWL_FIELDS` declares the user-facing options once (`azkaban_seeder.fields.Field`): the
dataclass takes its defaults and bounds from it, and the CLI flags of ``azkaban-seeder
profile`` / ``compare`` and the Params of the ``azkaban_env_profile`` DAG are built from it.
DAG files import it at parse time, so this module imports only the stdlib and ``fields`` at
run time (and the package's ``__init__`` loads the crawler lazily).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from azkaban_seeder.fields import Field

if TYPE_CHECKING:  # the DAG files import the field table: no client library at parse time
    from azkaban_seeder.azkaban.readonly import Gentleness
    from azkaban_seeder.azkaban.retry import RetryPolicy
    from azkaban_seeder.profile.observations import Observations

SAMPLING, GENTLENESS = "Sampling", "Gentleness"

_CRAWL_FIELD_LIST = (
    Field(
        "history_days",
        "integer",
        30,
        "History window (days)",
        "execution history window in days",
        SAMPLING,
        minimum=1,
        maximum=3650,
    ),
    Field(
        "max_executions",
        "integer",
        10,
        "Executions per flow",
        "newest executions read per flow",
        SAMPLING,
        minimum=1,
        maximum=1000,
    ),
    Field(
        "max_history_flows",
        "integer",
        2000,
        "Flows with history",
        "flows whose execution history is read: a seeded sample, 0 for none",
        SAMPLING,
        minimum=0,
        maximum=1_000_000,
    ),
    Field(
        "seed",
        "integer",
        0,
        "Sample seed",
        "seed of the history sample: the same seed on the same server draws the same sample",
        SAMPLING,
        minimum=0,
        maximum=2**31 - 1,
    ),
    # 8: the read-only client's own cap (`Gentleness`); Azkaban has ~20 request threads.
    Field(
        "max_in_flight",
        "integer",
        2,
        "Requests in flight",
        "requests in flight at once",
        GENTLENESS,
        minimum=1,
        maximum=8,
    ),
    Field(
        "rate",
        "number",
        20.0,
        "Request rate (per s)",
        "requests per second at most",
        GENTLENESS,
        minimum=0,
        exclusive_minimum=True,
        maximum=10_000.0,
        fix="pass a number of requests per second > 0 and <= 10000",
    ),
    Field(
        "budget_seconds",
        "number",
        3600.0,
        "Time budget (s)",
        "time budget of the whole crawl in seconds; when it runs out, the crawl stops and "
        "writes nothing",
        GENTLENESS,
        minimum=0,
        exclusive_minimum=True,
        maximum=86_400.0,
    ),
)
#: The crawl's user-facing options by name (defaults, bounds, titles, help, form sections).
CRAWL_FIELDS: dict[str, Field] = {f.name: f for f in _CRAWL_FIELD_LIST}
#: Options a likeness crawl takes from the source profile unless told otherwise.
PROFILE_SAMPLED = ("history_days", "max_executions")


@dataclass(frozen=True)
class CrawlOptions:
    """What to sample and how gently (see `azkaban_seeder.crawl.crawler`); checked on creation
    against `CRAWL_FIELDS` (a violation raises `SpecError`, a `ValueError` naming the field)."""

    history_days: int = CRAWL_FIELDS["history_days"].default
    max_executions: int = CRAWL_FIELDS["max_executions"].default
    max_history_flows: int = CRAWL_FIELDS["max_history_flows"].default
    max_in_flight: int = CRAWL_FIELDS["max_in_flight"].default
    rate: float = CRAWL_FIELDS["rate"].default
    budget_seconds: float = CRAWL_FIELDS["budget_seconds"].default
    seed: int = CRAWL_FIELDS["seed"].default
    progress_seconds: float = 5.0
    retry: RetryPolicy | None = None

    def __post_init__(self) -> None:
        for name, field in CRAWL_FIELDS.items():
            field.check(getattr(self, name))
        if not self.progress_seconds > 0:
            raise ValueError(f"progress_seconds must be positive, got {self.progress_seconds!r}")
        self.gentleness()  # checks max_in_flight, rate and budget_seconds

    def gentleness(self) -> Gentleness:
        from azkaban_seeder.azkaban.readonly import Gentleness

        return Gentleness(self.max_in_flight, self.rate, self.budget_seconds)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], **fixed: Any) -> CrawlOptions:
        """Options from loose values by field name (CLI text, Airflow params; None or
        missing = the default); ``fixed`` are typed values set as they are (e.g. ``retry``).
        Raises `SpecError` naming the field, the problem and the fix."""
        typed = {
            name: field.coerce(values[name])
            for name, field in CRAWL_FIELDS.items()
            if values.get(name) is not None
        }
        return cls(**{**typed, **fixed})


class CrawlIncomplete(Exception):
    """The crawl did not fetch everything it planned: ``missing`` says what, ``fix`` how."""

    def __init__(self, missing: str, fix: str) -> None:
        super().__init__(f"crawl incomplete: {missing}; no profile written; fix: {fix}")
        self.missing = missing
        self.fix = fix


@dataclass(frozen=True)
class CrawlOutcome:
    """The observations plus how the crawl went; ``missing`` is None when complete."""

    observations: Observations
    seconds: float
    max_in_flight_seen: int
    missing: str | None = None
    fix: str | None = None

    @property
    def complete(self) -> bool:
        return self.observations.complete

    def check(self) -> Observations:
        """The observations of a complete crawl; `CrawlIncomplete` otherwise."""
        if not self.complete:
            raise CrawlIncomplete(self.missing or "the crawl stopped early", self.fix or "retry")
        return self.observations
