"""The report page: one `RunReport` as a self-contained HTML page (no JavaScript).

Totals, per-shard bars (duration and flows/s, plain CSS), retries by reason, failures, the
verify outcome and, when a likeness check left its files beside the report, the likeness
table and chart. Every number the page shows carries a ``data-*`` attribute naming its key in
the report JSON (``data-total="flows_uploaded"``), so tests and scripts can read it back.
Pure functions of the report: `azkaban_airflow.report_app` serves them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from azkaban_seeder.report import RunReport, ShardLine

MAX_ROWS = 200

TOTAL_LABELS: tuple[tuple[str, str], ...] = (
    ("planned_flows", "Flows planned"),
    ("flows_uploaded", "Flows uploaded"),
    ("planned_projects", "Projects planned"),
    ("projects_uploaded", "Projects uploaded"),
    ("projects_repaired", "Projects repaired (had drifted)"),
    ("projects_skipped", "Projects skipped (unchanged)"),
    ("projects_failed", "Projects failed"),
    ("shards", "Shards"),
    ("bytes_uploaded", "Bytes uploaded"),
    ("schedules", "Schedules"),
    ("http_attempts", "HTTP attempts"),
    ("retries", "Retries"),
)

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1f2328;max-width:72rem}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
table{border-collapse:collapse;margin:.3rem 0}td,th{padding:.25rem .6rem;text-align:left;
border-bottom:1px solid #d0d7de;font-variant-numeric:tabular-nums}th{background:#f6f8fa}
td.n{text-align:right}.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}
.bar{background:#eef1f4;width:14rem;height:.8rem;border-radius:.2rem}
.bar span{display:block;height:100%;border-radius:.2rem;background:#4c8bf5}
.bar.rate span{background:#2da44e}.bar.retry span{background:#d4a72c}
.muted{color:#656d76}a{color:#0969da}img{max-width:100%;border:1px solid #d0d7de}
"""


def _n(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}" if digits else f"{round(value):,}"


def _bar(fraction: float, kind: str = "") -> str:
    width = max(0.0, min(1.0, fraction)) * 100
    return f'<div class="bar {kind}"><span style="width:{width:.1f}%"></span></div>'


def _table(head: Sequence[str], rows: Iterable[str], attrs: str = "") -> str:
    cells = "".join(f"<th>{escape(h)}</th>" for h in head)
    return f"<table{attrs}><tr>{cells}</tr>{''.join(rows)}</table>"


def _status(ok: bool | None, good: str = "OK", bad: str = "FAILED") -> str:
    if ok is None:
        return '<span class="muted">not run</span>'
    return f'<span class="ok">{good}</span>' if ok else f'<span class="bad">{bad}</span>'


def _header(report: RunReport, dag_id: str, json_url: str) -> str:
    spec = report.spec
    rate = report.throughput_flows_per_s
    return (
        f"<h1>Run report {_status(report.ok)}</h1>"
        f'<p class="muted">DAG <b>{escape(dag_id)}</b>, run <b data-run-id>'
        f"{escape(report.run_id or '-')}</b> &middot; "
        f'<a href="{escape(json_url)}" download>Download the report JSON</a></p>'
        f"<p>{_n(spec.flow_count)} flows, {_n(spec.flows_per_project)} per project, "
        f"{_n(spec.shard_size)} projects per shard, prefix "
        f"<b>{escape(spec.prefix)}</b>, shape {escape(spec.shape)}, format "
        f"{escape(spec.flow_format)}, schedules {escape(spec.schedule)} &middot; "
        f'<span data-seconds="{report.seconds}">{_n(report.seconds, 1)} s</span>, '
        f'<span data-throughput="{rate}">{_n(rate, 1)} flows/s</span></p>'
    )


def _totals(report: RunReport) -> str:
    values = vars(report.totals)
    rows = (
        f'<tr><td>{escape(label)}</td><td class="n" data-total="{key}">{_n(values[key])}</td></tr>'
        for key, label in TOTAL_LABELS
    )
    return "<h2>Totals</h2>" + _table(("", "value"), rows, ' id="totals"')


def _shard_rate(line: ShardLine) -> float:
    return line.flows / line.seconds if line.seconds > 0 else 0.0


def _shards(shards: Sequence[ShardLine]) -> str:
    longest = max((s.seconds for s in shards), default=0.0) or 1.0
    fastest = max((_shard_rate(s) for s in shards), default=0.0) or 1.0
    rows = []
    for s in shards[:MAX_ROWS]:
        rate = _shard_rate(s)
        failed = f'<span class="bad">{s.failed}</span>' if s.failed else "0"
        rows.append(
            f'<tr data-shard="{s.index}"><td class="n">{s.index}</td>'
            f"<td>{escape(s.label)}</td>"
            f'<td class="n" data-flows>{_n(s.flows)}</td><td class="n">{failed}</td>'
            f'<td class="n" data-shard-seconds>{_n(s.seconds, 1)}</td>'
            f"<td>{_bar(s.seconds / longest)}</td>"
            f'<td class="n">{_n(rate, 1)}</td><td>{_bar(rate / fastest, "rate")}</td></tr>'
        )
    head = ("#", "projects", "flows", "failed", "seconds", "duration", "flows/s", "throughput")
    more = _more(len(shards))
    return f"<h2>Shards ({len(shards)})</h2>" + _table(head, rows, ' id="shards"') + more


def _more(count: int) -> str:
    extra = count - MAX_ROWS
    return f'<p class="muted">{extra:,} more in the report JSON</p>' if extra > 0 else ""


def _retries(retries: Mapping[str, int]) -> str:
    if not retries:
        return '<h2>Retries by reason</h2><p class="muted" id="retries">none</p>'
    most = max(retries.values()) or 1
    rows = (
        f'<tr><td>{escape(reason)}</td><td class="n" data-retry="{escape(reason)}">'
        f"{_n(count)}</td><td>{_bar(count / most, 'retry')}</td></tr>"
        for reason, count in retries.items()
    )
    return "<h2>Retries by reason</h2>" + _table(("reason", "retries", ""), rows, ' id="retries"')


def _failures(report: RunReport) -> str:
    failures = report.failures
    if not failures:
        return '<h2>Failures</h2><p class="ok" id="failures">none</p>'
    rows = (
        f'<tr><td class="n">{f.shard}</td><td>{escape(f.project or "-")}</td>'
        f"<td>{escape(f.reason)}</td></tr>"
        for f in failures[:MAX_ROWS]
    )
    table = _table(("shard", "project", "reason"), rows, ' id="failures"')
    return f"<h2>Failures ({len(failures)})</h2>{table}{_more(len(failures))}"


def _names(names: Sequence[str], limit: int = 20) -> str:
    shown = ", ".join(escape(n) for n in names[:limit])
    return shown + (f" ... ({len(names) - limit:,} more)" if len(names) > limit else "")


def _verify(report: RunReport) -> str:
    verify = report.verify
    if verify is None:
        return f'<h2>Verify</h2><p id="verify">{_status(None)}</p>'
    rows = [
        ("Outcome", _status(verify.ok, "OK", "MISMATCH"), "ok"),
        ("Flows present", f"{_n(verify.present)} of {_n(verify.expected_flows)}", "present"),
        ("Flows missing", _n(verify.missing_count), "missing_count"),
        ("Flows unexpected", _n(verify.unexpected_count), "unexpected_count"),
        ("Projects missing", _n(len(verify.missing_projects)), "missing_projects"),
        ("Projects unreadable", _n(len(verify.errors)), "errors"),
    ]
    cells = (f'<tr><td>{a}</td><td data-verify="{key}">{b}</td></tr>' for a, b, key in rows)
    extra = ""
    if verify.missing_projects:
        extra = f"<p>Missing projects: {_names(verify.missing_projects)}</p>"
    return "<h2>Verify</h2>" + _table(("", ""), cells, ' id="verify"') + extra


def _pruned(report: RunReport) -> str:
    if not report.pruned:
        return ""
    return f"<h2>Removed by converge ({len(report.pruned)})</h2><p>{_names(report.pruned)}</p>"


def _likeness(likeness: Mapping[str, Any] | None, png_url: str | None) -> str:
    if likeness is None and png_url is None:
        return ""
    parts = ["<h2>Likeness</h2>"]
    if likeness is not None:
        passed = likeness.get("passed")
        parts.append(f'<p id="likeness">{_status(passed, "PASSED", "NOT ALIKE")}</p>')
        rows = (
            f"<tr><td>{escape(str(c.get('distribution', '')))}</td>"
            f"<td>{escape(str(c.get('metric', '')))}</td>"
            f'<td class="n">{escape(_fmt(c.get("value")))}</td>'
            f'<td class="n">{escape(_fmt(c.get("threshold")))}</td>'
            f"<td>{escape(str(c.get('result', '')))} {escape(str(c.get('reason', '')))}</td>"
            "</tr>"
            for c in likeness.get("comparisons") or ()
            if isinstance(c, Mapping)
        )
        parts.append(_table(("distribution", "metric", "value", "threshold", "result"), rows))
    if png_url is not None:
        parts.append(f'<p><img alt="likeness chart" src="{escape(png_url)}"></p>')
    return "".join(parts)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "-" if value is None else str(value)


def render_report(
    report: RunReport,
    *,
    dag_id: str,
    json_url: str,
    likeness: Mapping[str, Any] | None = None,
    likeness_png_url: str | None = None,
) -> str:
    """The whole page."""
    body = "".join(
        (
            _header(report, dag_id, json_url),
            _totals(report),
            _shards(report.shards),
            _retries(report.retries_by_reason),
            _failures(report),
            _verify(report),
            _pruned(report),
            _likeness(likeness, likeness_png_url),
        )
    )
    title = f"Azkaban run report {report.run_id or ''}"
    return _page(title, body)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def render_message(title: str, message: str, link: tuple[str, str] | None = None) -> str:
    """A short page for refusals and missing reports (404, 401)."""
    more = f'<p><a href="{escape(link[0])}">{escape(link[1])}</a></p>' if link else ""
    return _page(title, f"<h1>{escape(title)}</h1><p>{escape(message)}</p>{more}")


def render_index(rows: Sequence[tuple[str, str, str, bool | None]]) -> str:
    """The list of recent reports: (url, DAG id, run id, ok)."""
    if not rows:
        body = '<p class="muted">No run report yet: trigger azkaban_env_rebuild.</p>'
    else:
        cells = (
            f'<tr><td><a href="{escape(url)}">{escape(run_id)}</a></td>'
            f"<td>{escape(dag_id)}</td><td>{_status(ok)}</td></tr>"
            for url, dag_id, run_id, ok in rows
        )
        body = _table(("run", "DAG", "result"), cells, ' id="reports"')
    return _page("Azkaban run reports", f"<h1>Azkaban run reports</h1>{body}")
