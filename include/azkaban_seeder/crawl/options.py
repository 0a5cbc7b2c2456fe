"""What a crawl samples and how gently (`CrawlOptions`), and how it ended (`CrawlOutcome`)."""

from __future__ import annotations

from dataclasses import dataclass

from azkaban_seeder.azkaban.readonly import Gentleness
from azkaban_seeder.azkaban.retry import RetryPolicy
from azkaban_seeder.profile.observations import Observations


@dataclass(frozen=True)
class CrawlOptions:
    """What to sample and how gently (see `azkaban_seeder.crawl.crawler`); checked on creation."""

    history_days: int = 30
    max_executions: int = 10
    max_history_flows: int = 2000
    max_in_flight: int = 2
    rate: float = 20.0
    budget_seconds: float = 3600.0
    seed: int = 0
    progress_seconds: float = 5.0
    retry: RetryPolicy | None = None

    def __post_init__(self) -> None:
        for name, low, high in (
            ("history_days", 1, 3650),
            ("max_executions", 1, 1000),
            ("max_history_flows", 0, 1_000_000),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be an integer from {low} to {high}, got {value!r}")
        if not self.progress_seconds > 0:
            raise ValueError(f"progress_seconds must be positive, got {self.progress_seconds!r}")
        self.gentleness()  # checks max_in_flight, rate and budget_seconds

    def gentleness(self) -> Gentleness:
        return Gentleness(self.max_in_flight, self.rate, self.budget_seconds)


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
