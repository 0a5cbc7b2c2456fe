"""Profiling and likeness as whole jobs: crawl, build, write the files.

The ``azkaban-seeder profile`` / ``compare`` commands and the Airflow tasks call these, so both
write the same files the same way:

- `write_profile`: crawl a production Azkaban read-only, build its profile (k-anonymous), write
  it atomically; an incomplete crawl raises `CrawlIncomplete` and writes nothing;
- `compare_options`: a likeness crawl's options, its sampling taken from the source profile
  unless given;
- `write_likeness`: crawl a test environment with the same crawler, build its profile with
  the source's k and thresholds, `compare`, write the JSON, text and PNG files (`LikenessFiles`)
  atomically; `LikenessWritten.summary` is the small JSON-able verdict (never a profile).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azkaban_seeder.azkaban.settings import ConnectionSettings
from azkaban_seeder.crawl.crawler import crawl_outcome
from azkaban_seeder.crawl.options import PROFILE_SAMPLED, CrawlOptions, CrawlOutcome
from azkaban_seeder.profile import (
    LikenessReport,
    Profile,
    ProfileOptions,
    build_profile,
    compare,
    dump_profile,
)
from azkaban_seeder.profile.chart import write_chart

logger = logging.getLogger("azkaban_seeder.crawl")

LIKENESS_INFIX = ".likeness"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- profile


@dataclass(frozen=True)
class ProfileWritten:
    """A profile written to ``path``, and how its crawl went."""

    path: Path
    profile: Profile
    outcome: CrawlOutcome

    def summary(self) -> str:
        c = self.profile.counts
        o = self.outcome
        return (
            f"profile written to {self.path}: {c.projects} projects, {c.flows} flows "
            f"({c.scheduled_flows} scheduled), {c.executions_sampled} executions sampled; "
            f"{o.observations.requests} requests in {o.seconds:.1f} s "
            f"(at most {o.max_in_flight_seen} in flight)"
        )


def write_profile(
    settings: ConnectionSettings,
    options: CrawlOptions,
    path: Path,
    k: int = ProfileOptions().k,
) -> ProfileWritten:
    """Crawl read-only, build the profile, write it to ``path`` (atomically).

    Raises `CrawlIncomplete` (naming what is missing and the fix) when the crawl did not
    fetch everything it planned; nothing is written then."""
    outcome = crawl_outcome(settings, options)
    profile = build_profile(outcome.check(), ProfileOptions(k=k))
    dump_profile(profile, path)
    written = ProfileWritten(path, profile, outcome)
    logger.info("%s", written.summary())
    return written


# --------------------------------------------------------------------------- likeness


@dataclass(frozen=True)
class LikenessFiles:
    """Where a likeness report goes: its JSON, its text table and its PNG chart."""

    json: Path
    txt: Path
    png: Path

    @classmethod
    def named(cls, directory: Path, stem: str) -> LikenessFiles:
        """``<directory>/<stem>.likeness.json|txt|png``."""
        return cls(*(directory / f"{stem}{LIKENESS_INFIX}.{ext}" for ext in ("json", "txt", "png")))

    @classmethod
    def beside_profile(cls, profile_path: Path, directory: Path) -> LikenessFiles:
        """Named after the profile file: ``prod.profile.json`` -> ``prod.likeness.json``."""
        stem = profile_path.name.removesuffix(".json").removesuffix(".profile")
        return cls.named(directory, stem)


def compare_options(source: Profile, values: Mapping[str, Any], **fixed: Any) -> CrawlOptions:
    """`CrawlOptions.from_mapping` with the history window and executions per flow of
    ``source`` where ``values`` leaves them unset, so both sides are sampled alike."""
    sampled = dict(
        zip(
            PROFILE_SAMPLED,
            (source.options.history_days, source.options.max_executions_per_flow),
            strict=True,
        )
    )
    given = {k: v for k, v in values.items() if v is not None}
    return CrawlOptions.from_mapping({**sampled, **given}, **fixed)


@dataclass(frozen=True)
class LikenessWritten:
    """A likeness report, the target's profile, the crawl, and the files written."""

    report: LikenessReport
    target: Profile
    outcome: CrawlOutcome
    files: tuple[Path, ...]

    def summary(self) -> dict[str, Any]:
        """The verdict, small and JSON-able: ``ok``, each distribution's value, threshold and
        result, the names that failed, the target's size and the files; never a profile."""
        comparisons = self.report.comparisons
        return {
            "ok": self.report.passed,
            "failed": [c.name for c in comparisons if c.passed is False],
            "metrics": {
                c.name: {
                    "metric": c.metric,
                    "value": c.value,
                    "threshold": c.threshold,
                    "result": c.to_dict()["result"],
                }
                for c in comparisons
            },
            "source_flows": self.report.source.flows,
            "target_flows": self.report.target.flows,
            "requests": self.outcome.observations.requests,
            "seconds": round(self.outcome.seconds, 3),
            "files": [str(p) for p in self.files],
        }


def write_likeness(
    source: Profile,
    settings: ConnectionSettings,
    options: CrawlOptions,
    files: LikenessFiles,
    *,
    projects: Collection[str] | None = None,
) -> LikenessWritten:
    """Crawl the test environment (only ``projects`` when given), compare it with ``source``
    (the source's k and thresholds) and write ``files`` (the PNG only with matplotlib).

    Raises `CrawlIncomplete` when the crawl did not complete; nothing is written then."""
    outcome = crawl_outcome(settings, options, projects=projects)
    target = build_profile(
        outcome.check(), ProfileOptions(k=source.options.k, thresholds=source.options.thresholds)
    )
    report = compare(source, target)
    write_atomic(files.json, report.to_json())
    write_atomic(files.txt, report.render_text())
    chart = write_chart(source, target, files.png, report)
    written = (files.json, files.txt, *((files.png,) if chart else ()))
    return LikenessWritten(report, target, outcome, written)
