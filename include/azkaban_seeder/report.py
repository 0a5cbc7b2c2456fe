"""The run report: one JSON-able dict (CLI ``--json``, Airflow XCom) and a plain-text table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from azkaban_seeder.runner.results import ShardResult
from azkaban_seeder.spec import EnvSpec
from azkaban_seeder.verify import VerifyReport

MAX_FAILURES_SHOWN = 20


def _as_shard(value: ShardResult | Mapping[str, Any]) -> ShardResult:
    return value if isinstance(value, ShardResult) else ShardResult.from_dict(dict(value))


def _failures(shards: list[ShardResult]) -> list[dict[str, Any]]:
    failures = [
        {"shard": s.shard_index, "project": p.project, "reason": p.error}
        for s in shards
        for p in s.projects
        if p.error is not None
    ]
    # A shard-level error without per-project records (should not happen) still shows up.
    for s in shards:
        if s.error and not s.failed:
            failures.append({"shard": s.shard_index, "project": None, "reason": s.error})
    return failures


def build_report(
    spec: EnvSpec,
    shard_results: Iterable[ShardResult | Mapping[str, Any]],
    verify_report: VerifyReport | Mapping[str, Any] | None,
    seconds: float,
) -> dict[str, Any]:
    """Totals, per-shard durations, throughput, retries by reason, failures and the verify
    outcome. Shard results may be records or their ``to_dict()`` form (e.g. from XCom)."""
    shards = sorted((_as_shard(s) for s in shard_results), key=lambda s: s.shard_index)
    retries: Counter[str] = Counter()
    for shard in shards:
        retries.update(shard.retries())
    uploaded_flows = sum(s.flows for s in shards)
    projects = [p for s in shards for p in s.projects]
    verify = verify_report.to_dict() if isinstance(verify_report, VerifyReport) else verify_report
    failures = _failures(shards)
    ok = not failures and (verify is None or bool(verify.get("ok")))
    return {
        "ok": ok,
        "spec": spec.to_dict(),
        "seconds": round(seconds, 3),
        "totals": {
            "planned_flows": spec.flow_count,
            "planned_projects": spec.project_count,
            "shards": len(shards),
            "projects_uploaded": sum(1 for p in projects if p.error is None),
            "projects_failed": sum(1 for p in projects if p.error is not None),
            "flows_uploaded": uploaded_flows,
            "bytes_uploaded": sum(s.bytes for s in shards),
            "schedules": sum(p.scheduled for p in projects if p.error is None),
            "http_attempts": sum(p.attempts for p in projects),
            "retries": sum(retries.values()),
        },
        "throughput_flows_per_s": round(uploaded_flows / seconds, 1) if seconds > 0 else None,
        "shards": [
            {
                "index": s.shard_index,
                "label": s.label,
                "seconds": s.seconds,
                "flows": s.flows,
                "failed": len(s.failed),
                "error": s.error,
            }
            for s in shards
        ],
        "retries_by_reason": dict(sorted(retries.items())),
        "failures": failures,
        "verify": verify,
    }


def verify_lines(verify: Mapping[str, Any] | None) -> list[str]:
    """Summary lines of a verify outcome (`VerifyReport.to_dict()` form)."""
    if verify is None:
        return ["verify: not run"]
    lines = [
        f"verify: {'OK' if verify.get('ok') else 'MISMATCH'}  present {verify.get('present')}"
        f"/{verify.get('expected_flows')}  missing {verify.get('missing_count')}"
        f"  unexpected {verify.get('unexpected_count')}"
        f"  missing projects {len(verify.get('missing_projects') or [])}"
    ]
    if verify.get("schedules_checked"):
        lines.append(
            f"schedules: missing {verify.get('schedule_missing_count')}"
            f"  wrong cron {verify.get('schedule_wrong_count')}"
        )
    return lines


def format_summary(report: Mapping[str, Any]) -> str:
    """A plain-text summary: totals, a per-shard table, retries, failures, verify outcome."""
    totals = report["totals"]
    rate = report.get("throughput_flows_per_s")
    lines = [
        f"result: {'OK' if report.get('ok') else 'FAILED'}",
        f"flows uploaded {totals['flows_uploaded']}/{totals['planned_flows']} in "
        f"{totals['projects_uploaded']}/{totals['planned_projects']} projects, "
        f"{totals['shards']} shard(s), {report['seconds']:.1f}s"
        + (f", {rate:.1f} flows/s" if rate is not None else ""),
        "",
        f"{'shard':>5}  {'label':<32} {'flows':>7} {'failed':>6} {'seconds':>8}",
    ]
    for shard in report["shards"]:
        lines.append(
            f"{shard['index']:>5}  {shard['label']:<32} {shard['flows']:>7} "
            f"{shard['failed']:>6} {shard['seconds']:>8.1f}"
        )
    retries = report.get("retries_by_reason") or {}
    lines.append("")
    lines.append(
        "retries: " + (", ".join(f"{k}={v}" for k, v in retries.items()) if retries else "none")
    )
    failures = report.get("failures") or []
    if failures:
        lines.append(f"failures ({len(failures)}):")
        for failure in failures[:MAX_FAILURES_SHOWN]:
            lines.append(f"  {failure['project'] or '-'}: {failure['reason']}")
        if len(failures) > MAX_FAILURES_SHOWN:
            lines.append(f"  ... {len(failures) - MAX_FAILURES_SHOWN} more (see --json)")
    lines.extend(verify_lines(report.get("verify")))
    return "\n".join(lines)
