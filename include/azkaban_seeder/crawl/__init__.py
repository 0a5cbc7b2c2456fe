"""The read-only profiler's crawler: a live Azkaban -> `Observations` (never names).

`crawl_outcome(settings, options)` reads the server through the whitelisted, gentle
`azkaban_seeder.azkaban.readonly.ReadOnlyClient` and returns a `CrawlOutcome`;
``outcome.check()`` gives the observations of a complete crawl or raises `CrawlIncomplete`
naming what is missing and how to fix it. `crawl(settings, options)` returns the observations
alone (``complete`` False when anything is missing: write no profile then).

Modules: ``options`` (`CrawlOptions`, `CrawlOutcome`, `CrawlIncomplete`), ``crawler`` (the
phases), ``convert`` (replies -> observation records, the seeded sample), ``progress`` (the
INFO progress line with an ETA).
"""

from __future__ import annotations

from azkaban_seeder.crawl.crawler import crawl, crawl_outcome
from azkaban_seeder.crawl.options import CrawlIncomplete, CrawlOptions, CrawlOutcome

__all__ = ["CrawlIncomplete", "CrawlOptions", "CrawlOutcome", "crawl", "crawl_outcome"]
