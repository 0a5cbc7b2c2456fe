"""The read-only profiler's crawler: a live Azkaban -> `Observations` (never names).

`crawl_outcome(settings, options)` reads the server through the whitelisted, gentle
`azkaban_seeder.azkaban.readonly.ReadOnlyClient` and returns a `CrawlOutcome`;
``outcome.check()`` gives the observations of a complete crawl or raises `CrawlIncomplete`
naming what is missing and how to fix it. `crawl(settings, options)` returns the observations
alone (``complete`` False when anything is missing: write no profile then).

`write_profile` and `write_likeness` are the whole jobs (crawl, build, compare, write the
files) behind ``azkaban-seeder profile`` / ``compare`` and the Airflow tasks.

Modules: ``options`` (`CrawlOptions` and its field table `CRAWL_FIELDS`, `CrawlOutcome`,
`CrawlIncomplete`), ``crawler`` (the phases), ``convert`` (replies -> observation records, the
seeded sample), ``progress`` (the INFO progress line with an ETA), ``profiling`` (the jobs).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from azkaban_seeder.crawl.options import (
    CRAWL_FIELDS,
    PROFILE_SAMPLED,
    CrawlIncomplete,
    CrawlOptions,
    CrawlOutcome,
)

if TYPE_CHECKING:
    from azkaban_seeder.crawl.crawler import crawl, crawl_outcome
    from azkaban_seeder.crawl.profiling import (
        LikenessFiles,
        LikenessWritten,
        ProfileWritten,
        compare_options,
        write_likeness,
        write_profile,
    )

#: Loaded on first use: importing the field table (DAG parse time) must not load the client.
_LAZY = {
    "crawl": "crawler",
    "crawl_outcome": "crawler",
    "LikenessFiles": "profiling",
    "LikenessWritten": "profiling",
    "ProfileWritten": "profiling",
    "compare_options": "profiling",
    "write_likeness": "profiling",
    "write_profile": "profiling",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CRAWL_FIELDS",
    "PROFILE_SAMPLED",
    "CrawlIncomplete",
    "CrawlOptions",
    "CrawlOutcome",
    "LikenessFiles",
    "LikenessWritten",
    "ProfileWritten",
    "compare_options",
    "crawl",
    "crawl_outcome",
    "write_likeness",
    "write_profile",
]
