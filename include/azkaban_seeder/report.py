"""The run report: a typed record built in one place (`build_report`), rendered elsewhere.

`RunReport` holds totals, per-shard lines, retries by reason, failures and the verify outcome.
Everything that shows a report only renders it: `RunReport.to_dict` (the JSON of the CLI's
``--json``, the Airflow XCom and the report file, with a ``schema_version``), `format_summary`
(the plain-text table) and `write_report` (the file). `RunReport.from_dict` reads the JSON
back, e.g. from an XCom or a report file, refusing a newer schema.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azkaban_seeder.runner.results import ShardResult
from azkaban_seeder.spec import EnvSpec
from azkaban_seeder.verify import VerifyReport

#: Bumped when a key of the JSON changes meaning or disappears (new keys keep the version).
SCHEMA_VERSION = 1
MAX_FAILURES_SHOWN = 20


@dataclass(frozen=True)
class Totals:
    """Counts over the whole run (planned vs done)."""

    planned_flows: int
    planned_projects: int
    shards: int
    projects_uploaded: int
    projects_failed: int
    flows_uploaded: int
    bytes_uploaded: int
    schedules: int
    http_attempts: int
    retries: int
    #: Of the successful projects: unchanged on the server, so not uploaded again ...
    projects_skipped: int = 0
    #: ... and re-uploaded because the server held other content (a hand re-upload, ...).
    projects_repaired: int = 0


@dataclass(frozen=True)
class ShardLine:
    """One shard's line of the report."""

    index: int
    label: str
    seconds: float
    flows: int
    failed: int
    error: str | None = None


@dataclass(frozen=True)
class Failure:
    """One failed project (``project`` is None for a shard-level error without projects)."""

    shard: int
    project: str | None
    reason: str


@dataclass(frozen=True)
class RunReport:
    """What one apply / rebuild did; build it with `build_report`."""

    ok: bool
    spec: EnvSpec
    seconds: float
    totals: Totals
    throughput_flows_per_s: float | None
    shards: tuple[ShardLine, ...]
    retries_by_reason: dict[str, int]
    failures: tuple[Failure, ...]
    verify: VerifyReport | None
    run_id: str | None = None
    report_path: str | None = None
    pruned: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (stable keys, ``schema_version`` first)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "ok": self.ok,
            "run_id": self.run_id,
            "report_path": self.report_path,
            "spec": self.spec.to_dict(),
            "seconds": self.seconds,
            "totals": vars(self.totals).copy(),
            "throughput_flows_per_s": self.throughput_flows_per_s,
            "shards": [vars(s).copy() for s in self.shards],
            "retries_by_reason": dict(self.retries_by_reason),
            "failures": [vars(f).copy() for f in self.failures],
            "verify": self.verify.to_dict() if self.verify is not None else None,
            "pruned": list(self.pruned),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunReport:
        """Read the JSON form back; raises ValueError for a newer or missing schema version."""
        version = data.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise ValueError(
                f"report schema_version {version!r} is not supported (this version reads up "
                f"to {SCHEMA_VERSION}); upgrade azkaban-seeder to read it"
            )
        verify = data.get("verify")
        return cls(
            ok=bool(data["ok"]),
            spec=EnvSpec.from_mapping(data["spec"]),
            seconds=float(data["seconds"]),
            totals=Totals(**data["totals"]),
            throughput_flows_per_s=data.get("throughput_flows_per_s"),
            shards=tuple(ShardLine(**s) for s in data["shards"]),
            retries_by_reason=dict(data.get("retries_by_reason") or {}),
            failures=tuple(Failure(**f) for f in data.get("failures") or ()),
            verify=VerifyReport.from_dict(verify) if verify is not None else None,
            run_id=data.get("run_id"),
            report_path=data.get("report_path"),
            pruned=tuple(data.get("pruned") or ()),
        )


def _as_shard(value: ShardResult | Mapping[str, Any]) -> ShardResult:
    return value if isinstance(value, ShardResult) else ShardResult.from_dict(dict(value))


def _failures(shards: list[ShardResult]) -> tuple[Failure, ...]:
    failures = [
        Failure(s.shard_index, p.project, p.error)
        for s in shards
        for p in s.projects
        if p.error is not None
    ]
    # A shard-level error without per-project records (should not happen) still shows up.
    failures += [Failure(s.shard_index, None, s.error) for s in shards if s.error and not s.failed]
    return tuple(failures)


def _totals(spec: EnvSpec, shards: list[ShardResult], retries: int) -> Totals:
    projects = [p for s in shards for p in s.projects]
    return Totals(
        planned_flows=spec.flow_count,
        planned_projects=spec.project_count,
        shards=len(shards),
        projects_uploaded=sum(1 for p in projects if p.error is None and p.action != "skipped"),
        projects_failed=sum(1 for p in projects if p.error is not None),
        flows_uploaded=sum(s.flows for s in shards),
        bytes_uploaded=sum(s.bytes for s in shards),
        schedules=sum(p.scheduled for p in projects if p.error is None),
        http_attempts=sum(p.attempts for p in projects),
        retries=retries,
        projects_skipped=sum(1 for p in projects if p.error is None and p.action == "skipped"),
        projects_repaired=sum(1 for p in projects if p.error is None and p.action == "repaired"),
    )


def build_report(
    spec: EnvSpec,
    shard_results: Iterable[ShardResult | Mapping[str, Any]],
    verify_report: VerifyReport | Mapping[str, Any] | None,
    seconds: float,
    *,
    run_id: str | None = None,
    report_path: str | None = None,
    pruned: Iterable[str] = (),
    prune_failures: Iterable[tuple[str, str]] = (),
) -> RunReport:
    """The one place a report is made. Shard results and the verify outcome may be records
    or their ``to_dict()`` form (e.g. from XCom)."""
    shards = sorted((_as_shard(s) for s in shard_results), key=lambda s: s.shard_index)
    retries: Counter[str] = Counter()
    for shard in shards:
        retries.update(shard.retries())
    verify = (
        VerifyReport.from_dict(verify_report)
        if isinstance(verify_report, Mapping)
        else verify_report
    )
    # A refused delete of a stale project fails the run like a failed upload (shard -1).
    failures = _failures(shards) + tuple(
        Failure(-1, name, f"prune: {error}") for name, error in prune_failures
    )
    totals = _totals(spec, shards, sum(retries.values()))
    return RunReport(
        ok=not failures and (verify is None or verify.ok),
        spec=spec,
        seconds=round(seconds, 3),
        totals=totals,
        throughput_flows_per_s=(round(totals.flows_uploaded / seconds, 1) if seconds > 0 else None),
        shards=tuple(
            ShardLine(s.shard_index, s.label, s.seconds, s.flows, len(s.failed), s.error)
            for s in shards
        ),
        retries_by_reason=dict(sorted(retries.items())),
        failures=failures,
        verify=verify,
        run_id=run_id,
        report_path=report_path,
        pruned=tuple(pruned),
    )


def write_report(report: RunReport, path: Path) -> Path:
    """Write the JSON form to ``path`` (parents created); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_dict(), indent=2, sort_keys=True))
    return path


# --------------------------------------------------------------------------- text


def verify_lines(verify: VerifyReport | None) -> list[str]:
    """Summary lines of a verify outcome."""
    if verify is None:
        return ["verify: not run"]
    lines = [
        f"verify: {'OK' if verify.ok else 'MISMATCH'}  present {verify.present}"
        f"/{verify.expected_flows}  missing {verify.missing_count}"
        f"  unexpected {verify.unexpected_count}"
        f"  missing projects {len(verify.missing_projects)}"
        f"  unreadable projects {verify.error_count}"
    ]
    if verify.errors:
        first, reason = min(verify.errors.items())
        lines.append(
            f"read errors: {verify.error_count} project(s), {verify.unread_flows} flow(s) not "
            f"read (counted as missing); first: {first}: {reason}"
        )
    if verify.schedules_checked:
        lines.append(
            f"schedules: missing {sum(len(v) for v in verify.schedule_missing.values())}"
            f"  wrong cron {sum(len(v) for v in verify.schedule_wrong.values())}"
        )
    if verify.schedule_error:
        lines.append(
            f"schedules: not checked, the schedule list was not read: {verify.schedule_error}"
        )
    return lines


def _failure_lines(failures: tuple[Failure, ...]) -> list[str]:
    if not failures:
        return []
    lines = [f"failures ({len(failures)}):"]
    lines += [f"  {f.project or '-'}: {f.reason}" for f in failures[:MAX_FAILURES_SHOWN]]
    if len(failures) > MAX_FAILURES_SHOWN:
        lines.append(f"  ... {len(failures) - MAX_FAILURES_SHOWN} more (see --json)")
    return lines


def format_summary(report: RunReport) -> str:
    """A plain-text summary: totals, a per-shard table, retries, failures, verify outcome."""
    totals, rate = report.totals, report.throughput_flows_per_s
    lines = [
        f"result: {'OK' if report.ok else 'FAILED'}",
        f"flows uploaded {totals.flows_uploaded}/{totals.planned_flows} in "
        f"{totals.projects_uploaded}/{totals.planned_projects} projects, "
        f"{totals.shards} shard(s), {report.seconds:.1f}s"
        + (f", {rate:.1f} flows/s" if rate is not None else ""),
        f"projects: {totals.projects_uploaded} uploaded ({totals.projects_repaired} repaired), "
        f"{totals.projects_skipped} skipped (unchanged on the server), "
        f"{totals.projects_failed} failed",
        "",
        f"{'shard':>5}  {'label':<32} {'flows':>7} {'failed':>6} {'seconds':>8}",
    ]
    lines += [
        f"{s.index:>5}  {s.label:<32} {s.flows:>7} {s.failed:>6} {s.seconds:>8.1f}"
        for s in report.shards
    ]
    retries = report.retries_by_reason
    lines.append("")
    lines.append(
        "retries: " + (", ".join(f"{k}={v}" for k, v in retries.items()) if retries else "none")
    )
    lines += _failure_lines(report.failures)
    if report.pruned:
        lines.append(f"pruned {len(report.pruned)} project(s): {', '.join(report.pruned[:10])}")
    lines.extend(verify_lines(report.verify))
    return "\n".join(lines)
