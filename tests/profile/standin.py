"""A deliberately skewed "production" Azkaban, built in a sandbox by hand-written rules.

The rules are not the synthesizer's, and nothing here uses the engine (no spec, no flow
generator, no client): plain `requests` calls log in, create projects, upload hand-written
zips (multipart), schedule flows (``scheduleCronFlow``) and load execution history through
the sandbox's test control (``POST /_sandbox/executions/load``).

Rules (per flow unless said otherwise):

- projects: a heavy tail of sizes: 60% of the flows sit in a few big projects (up to 1,000
  flows each, so 10,000 flows need few big zips), the rest in small projects of 1-40 flows;
  names look like real ones (``billing_etl``, ``ads-daily``); every fifth project is Flow 2.0;
- jobs: 70% of the flows are one job; the others a Pareto tail (shape 0.9) capped at 200;
  depth from 2 up to 15 levels; every non-final job feeds the next level, one final job
  (Flow 1.0 names the flow after it); 30% of the multi-job Flow 2.0 flows embed one or two
  sub-flows (one level of them nesting another now and then);
- job types: command 72%, hadoopJava 12%, spark 9%, hive 5%, noop 2%; every job has a
  realistic command naming its project, flow and job;
- schedules: 55% of the flows; cadences: daily 50%, hourly 18%, every 15 minutes 12%,
  weekly 12%, weekdays 8%; the minute is 0 for 40% of them, daily runs cluster at midnight
  (25% at hour 0, most of those at 00:00) and in the small hours;
- history: scheduled flows ran at their fire times over the last ``history_days + 5`` days
  (at most ``max_runs_per_flow`` newest runs each), 25% of the unscheduled flows ran 1-4 times
  ad hoc; job durations log-normal (median 45 s, sigma 1.0; spark x4, hive x3), a job starts
  when its last upstream job ended; 3% of the runs fail: one job FAILED, everything
  downstream of it CANCELLED and never started.

`build_standin(url, ...)` returns a `Truth`: every name and command it used (the test greps
the profile for each), and what it generated, for comparisons with the profile.

Test handles: `Standin` (the sandbox holding it, with a READ-only account: `reader_config`)
and `OddServer`, a loopback server that logs anyone in and answers whatever a test scripts.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import random
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from azkaban_sandbox import SandboxConfig, SandboxServer
from azkaban_seeder.azkaban import ConnectionSettings

TIMEOUT = 120
DAY_MS = 86_400_000
HOUR_MS = 3_600_000

DOMAINS = (
    "billing", "ads", "search", "payments", "risk", "growth", "catalog", "inventory",
    "logistics", "pricing", "fraud", "crm", "marketing", "finance", "ledger", "identity",
    "checkout", "reviews", "recsys", "warehouse", "supply", "partner", "loyalty", "support",
    "telemetry", "content", "media", "geo", "tax", "payroll",
)  # fmt: skip
PROJECT_STYLES = (
    "{d}_etl", "{d}-daily", "{d}_reports", "{d}_ingest", "{d}-pipelines", "{d}_exports",
    "{d}_models", "{d}-sync", "{d}_warehouse_loads", "{d}_backfill", "{d}-kpis", "{d}_dq",
)  # fmt: skip
VERBS = (
    "load", "extract", "aggregate", "publish", "refresh", "dedupe", "enrich", "reconcile",
    "snapshot", "compact", "score", "rollup", "import", "export", "validate", "merge",
)  # fmt: skip
NOUNS = (
    "invoices", "clicks", "impressions", "orders", "refunds", "sessions", "accounts",
    "payouts", "chargebacks", "listings", "shipments", "carts", "coupons", "ledgers",
    "customers", "events", "pageviews", "conversions", "bids", "budgets", "stock_levels",
    "returns", "subscriptions", "tickets", "ratings", "suppliers",
)  # fmt: skip
REGIONS = ("eu", "us", "apac", "latam", "global")
STEPS = ("extract", "stage", "transform", "check", "load", "notify", "archive", "index")
JOB_TYPES = (("command", 72), ("hadoopJava", 12), ("spark", 9), ("hive", 5), ("noop", 2))
CADENCES = (("daily", 50), ("hourly", 18), ("sub_hourly", 12), ("weekly", 12), ("weekdays", 8))
TYPE_SLOWNESS = {"spark": 4.0, "hive": 3.0}
FINISHED = ("SUCCEEDED", "FAILED")


@dataclass(frozen=True)
class StandinSpec:
    """Size and randomness of the stand-in."""

    flows: int = 300
    seed: int = 7
    history_days: int = 30
    max_runs_per_flow: int = 12
    flow2_project_share: float = 0.2
    schedule_threads: int = 4


@dataclass
class Node:
    """A node of a hand-made flow: a job, or an embedded flow (``children``)."""

    name: str
    type: str
    deps: list[str] = field(default_factory=list)
    command: str = ""
    children: list[Node] | None = None


@dataclass
class FlowPlan:
    project: str
    name: str
    nodes: list[Node]
    depth: int
    cron: str | None = None
    cadence: str | None = None


@dataclass
class Truth:
    """What the stand-in made: names and commands used, and its distributions."""

    names: set[str] = field(default_factory=set)
    commands: set[str] = field(default_factory=set)
    some_flow: tuple[str, str] = ("", "")  # (project, flow) of the first flow built
    projects: int = 0
    flow2_projects: int = 0
    flows: int = 0
    jobs: list[int] = field(default_factory=list)
    depths: list[int] = field(default_factory=list)
    embedded_flows: int = 0
    scheduled: int = 0
    cadences: Counter[str] = field(default_factory=Counter)
    minute_zero: int = 0
    midnight: int = 0
    runs: int = 0
    failed_runs: int = 0
    runs_in_window: int = 0
    flows_with_runs: int = 0
    requests: int = 0
    seconds: float = 0.0


# --------------------------------------------------------------------------- names


class Names:
    """Realistic, unique names (project-wide for jobs: Flow 1.0 shares one namespace)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        styles = [s.format(d=d) for d in DOMAINS for s in PROJECT_STYLES]
        rng.shuffle(styles)
        self._projects = (
            f"{style}{suffix}"
            for suffix in ("", *(f"_{r}" for r in REGIONS), *(f"_v{k}" for k in range(2, 100)))
            for style in styles
        )

    def project(self) -> str:
        return next(self._projects)

    def unique(self, taken: set[str], base: str) -> str:
        name, k = base, 2
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        return name

    def flow(self, taken: set[str]) -> str:
        rng = self.rng
        base = f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}"
        if rng.random() < 0.5:
            base += f"_{rng.choice(REGIONS)}"
        return self.unique(taken, base)


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in table], [w for _, w in table])[0]


def _command(rng: random.Random, project: str, flow: str, job: str, job_type: str) -> str:
    if job_type == "spark":
        return (
            f"spark-submit --class com.acme.{project.replace('-', '_')}.{job}_job "
            f"s3://acme-jars/{project}/{flow}.jar --job {job}"
        )
    if job_type == "hive":
        return f"hive -f /opt/sql/{project}/{flow}/{job}.hql"
    return f"python3 /opt/etl/{project}/{flow}.py --step {job} --env prod-{rng.randint(1, 9)}"


# --------------------------------------------------------------------------- graphs


def _job_count(rng: random.Random) -> int:
    if rng.random() < 0.7:
        return 1
    return min(200, 1 + int(rng.paretovariate(0.9)))


def _level_sizes(rng: random.Random, jobs: int) -> list[int]:
    if jobs == 1:
        return [1]
    depth = min(jobs, 15, 2 + int(rng.expovariate(1 / 3)))
    sizes = [1] * depth
    for _ in range(jobs - depth):  # the extra jobs go to any level but the last
        sizes[rng.randrange(depth - 1)] += 1
    return sizes


def _wire(rng: random.Random, levels: list[list[Node]]) -> None:
    """Parents from the level above (1-3), now and then one from further up; every node
    but the final one gets a dependent."""
    for above, level in itertools.pairwise(levels):
        for node in level:
            node.deps = rng.sample([n.name for n in above], min(len(above), rng.randint(1, 3)))
        fed = {d for node in level for d in node.deps}
        for node in above:
            if node.name not in fed:
                rng.choice(level).deps.append(node.name)
    for depth, level in enumerate(levels[2:], start=2):
        for node in level:
            if rng.random() < 0.1:
                extra = rng.choice(levels[rng.randrange(depth - 1)]).name
                if extra not in node.deps:
                    node.deps.append(extra)


def _graph(
    rng: random.Random,
    names: Names,
    project: str,
    flow: str,
    taken: set[str],
    embed: bool,
    nest: int = 0,
) -> tuple[list[Node], int]:
    jobs = _job_count(rng) if nest == 0 else rng.randint(2, 6)
    sizes = _level_sizes(rng, jobs)
    levels: list[list[Node]] = []
    for depth, size in enumerate(sizes):
        level = []
        for _ in range(size):
            final = depth == len(sizes) - 1 and nest == 0
            name = flow if final else names.unique(taken, f"{flow}_{rng.choice(STEPS)}")
            job_type = _weighted(rng, JOB_TYPES)
            level.append(Node(name, job_type, command=_command(rng, project, flow, name, job_type)))
        levels.append(level)
    _wire(rng, levels)
    nodes = [n for level in levels for n in level]
    if embed and jobs > 2:
        inner = [n for level in levels[1:-1] for n in level] or nodes[:-1]
        for node in rng.sample(inner, min(len(inner), rng.randint(1, 2))):
            node.type, node.command = "flow", ""
            node.children, _ = _graph(
                rng, names, project, node.name, taken, nest < 1 and rng.random() < 0.3, nest + 1
            )
    return nodes, len(sizes)


# --------------------------------------------------------------------------- schedules


def _minute(rng: random.Random) -> int:
    return 0 if rng.random() < 0.33 else rng.randint(1, 59)


def _hour(rng: random.Random) -> int:
    draw = rng.random()
    if draw < 0.25:
        return 0
    if draw < 0.6:
        return rng.randint(1, 6)
    return rng.randint(7, 23)


def _cron(rng: random.Random) -> tuple[str, str, int, int | None]:
    """(cadence, Quartz cron, minute, hour or None)."""
    cadence = _weighted(rng, CADENCES)
    minute = _minute(rng)
    if cadence == "sub_hourly":
        offset = minute % 15
        return cadence, f"0 {offset}/15 * * * ?", offset, None
    if cadence == "hourly":
        return cadence, f"0 {minute} * * * ?", minute, None
    hour = _hour(rng)
    if hour == 0 and rng.random() < 0.8:
        minute = 0
    if cadence == "daily":
        return cadence, f"0 {minute} {hour} * * ?", minute, hour
    if cadence == "weekly":
        return cadence, f"0 {minute} {hour} ? * {rng.randint(1, 7)}", minute, hour
    return cadence, f"0 {minute} {hour} ? * 2-6", minute, hour


def _fire_times(cron: str, now_ms: int, since_ms: int, limit: int) -> list[int]:
    """The newest fire times (UTC) after ``since_ms``, newest first, at most ``limit``."""
    fields = cron.split()
    minute_field, hour_field, dow_field = fields[1], fields[2], fields[5]
    if "/" in minute_field:
        step_ms, offset = 15 * 60_000, int(minute_field.split("/")[0]) * 60_000
    elif hour_field == "*":
        step_ms, offset = HOUR_MS, int(minute_field) * 60_000
    else:
        step_ms, offset = DAY_MS, int(hour_field) * HOUR_MS + int(minute_field) * 60_000
    last = (now_ms - offset) // step_ms * step_ms + offset
    out = []
    at = last
    while at > since_ms and len(out) < limit:
        weekday = (at // DAY_MS + 4) % 7 + 1  # Quartz day of week: 1 = Sunday
        if dow_field in ("?", "*") or _dow_match(dow_field, weekday):
            out.append(at)
        at -= step_ms
    return out


def _dow_match(field_text: str, weekday: int) -> bool:
    if "-" in field_text:
        lo, hi = (int(x) for x in field_text.split("-"))
        return lo <= weekday <= hi
    return int(field_text) == weekday


# --------------------------------------------------------------------------- history


def _job_seconds(rng: random.Random, job_type: str) -> float:
    return math.exp(rng.gauss(math.log(45.0), 1.0)) * TYPE_SLOWNESS.get(job_type, 1.0)


def _downstream(nodes: list[Node], failed: str) -> set[str]:
    out: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node in nodes:
            if node.name not in out and (failed in node.deps or out & set(node.deps)):
                out.add(node.name)
                changed = True
    return out


def _run_jobs(
    rng: random.Random, nodes: list[Node], start_ms: int, prefix: str, fail: str | None
) -> tuple[list[dict[str, Any]], int, bool]:
    """Job rows in dependency order; returns rows, the end time and whether one failed."""
    ends: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    cancelled = _downstream(nodes, fail) if fail else set()
    failed_any = False
    for node in _topological(nodes):
        path = prefix + node.name
        if node.name in cancelled:
            rows.append({"id": path, "status": "CANCELLED"})
            ends[node.name] = start_ms
            continue
        begin = max([start_ms] + [ends[d] for d in node.deps]) + rng.randint(200, 3000)
        if node.children is not None:
            inner, end, inner_failed = _run_jobs(rng, node.children, begin, f"{path}:", None)
            rows += inner
            status = "FAILED" if inner_failed else "SUCCEEDED"
        else:
            end = begin + int(_job_seconds(rng, node.type) * 1000)
            status = "FAILED" if node.name == fail else "SUCCEEDED"
        failed_any = failed_any or status == "FAILED"
        rows.append({"id": path, "status": status, "start": begin, "end": end})
        ends[node.name] = end
    return rows, max(ends.values()), failed_any


def _topological(nodes: list[Node]) -> Iterator[Node]:
    done: set[str] = set()
    pending = list(nodes)
    while pending:
        ready = [n for n in pending if all(d in done for d in n.deps)]
        for node in ready:
            done.add(node.name)
            yield node
        pending = [n for n in pending if n.name not in done]


def _runs(
    rng: random.Random, plan: FlowPlan, spec: StandinSpec, now_ms: int
) -> list[dict[str, Any]]:
    since = now_ms - (spec.history_days + 5) * DAY_MS
    if plan.cron is not None:
        submits = _fire_times(plan.cron, now_ms - 6 * HOUR_MS, since, spec.max_runs_per_flow)
    elif rng.random() < 0.25:
        submits = sorted(
            (rng.randint(since, now_ms - 6 * HOUR_MS) for _ in range(rng.randint(1, 4))),
            reverse=True,
        )
    else:
        submits = []
    runs = []
    for submit in submits:
        fail = None
        if rng.random() < 0.03:
            fail = rng.choice([n.name for n in plan.nodes if n.children is None])
        start = submit + rng.randint(500, 5000)
        jobs, end, failed = _run_jobs(rng, plan.nodes, start, "", fail)
        runs.append(
            {
                "project": plan.project,
                "flow": plan.name,
                "status": "FAILED" if failed else "SUCCEEDED",
                "submit": submit,
                "start": start,
                "end": end + rng.randint(100, 1000),
                "user": "svc_scheduler",
                "jobs": jobs,
            }
        )
    return runs


# --------------------------------------------------------------------------- zips


def _job_file(node: Node) -> str:
    text = f"type={node.type}\n"
    if node.type == "hadoopJava":
        text += f"job.class=com.acme.jobs.{node.name}\n"
    text += f"command={node.command}\n"
    if node.deps:
        text += "dependencies=" + ",".join(node.deps) + "\n"
    return text


def _yaml_nodes(nodes: list[Node], indent: str) -> str:
    out = []
    for node in nodes:
        out.append(f"{indent}- name: {node.name}\n{indent}  type: {node.type}\n")
        if node.deps:
            out.append(f"{indent}  dependsOn: [{', '.join(node.deps)}]\n")
        if node.children is not None:
            out.append(f"{indent}  nodes:\n{_yaml_nodes(node.children, indent + '    ')}")
        else:
            out.append(f"{indent}  config:\n{indent}    command: {json.dumps(node.command)}\n")
    return "".join(out)


def project_zip(flows: list[FlowPlan], flow2: bool) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        if flow2:
            zf.writestr("project.project", "azkaban-flow-version: 2.0\n")
            for plan in flows:
                zf.writestr(f"{plan.name}.flow", "nodes:\n" + _yaml_nodes(plan.nodes, "  "))
        else:
            for plan in flows:
                for node in plan.nodes:
                    zf.writestr(f"{plan.name}/{node.name}.job", _job_file(node))
    return buf.getvalue()


# --------------------------------------------------------------------------- building


def _project_sizes(rng: random.Random, total: int) -> list[int]:
    big = max(50, min(1000, total // 10))
    sizes: list[int] = []
    left = total
    while left > total * 0.4 and left >= big:
        sizes.append(big)
        left -= big
    while left > 0:
        size = min(left, max(1, int(rng.paretovariate(1.2) * 2) if rng.random() < 0.9 else 40))
        sizes.append(min(size, 40))
        left -= sizes[-1]
    rng.shuffle(sizes)
    return sizes


def _walk(nodes: list[Node]) -> Iterator[Node]:
    for node in nodes:
        yield node
        if node.children is not None:
            yield from _walk(node.children)


class _Http:
    """Plain requests calls with one session id (a raw Azkaban client, not ours)."""

    def __init__(self, url: str, user: str, password: str) -> None:
        self.url, self.http, self.requests = url, requests.Session(), 0
        reply = self.http.post(
            url, data={"action": "login", "username": user, "password": password}, timeout=TIMEOUT
        )
        self.session_id = reply.json()["session.id"]
        self.requests += 1

    def post(self, path: str, **data: Any) -> dict[str, Any]:
        data["session.id"] = self.session_id
        reply = self.http.post(
            self.url + path,
            data=data,
            timeout=TIMEOUT,
            headers={"X-Requested-With": "XMLHttpRequest"},
        )
        self.requests += 1
        result: dict[str, Any] = json.loads(reply.text)
        return result

    def upload(self, project: str, data: bytes) -> dict[str, Any]:
        form = {"ajax": "upload", "project": project, "session.id": self.session_id}
        reply = self.http.post(
            self.url + "/manager",
            data=form,
            files={"file": ("p.zip", data, "application/zip")},
            timeout=TIMEOUT,
        )
        self.requests += 1
        result: dict[str, Any] = reply.json()
        return result


def _plan_project(
    rng: random.Random, names: Names, size: int, flow2: bool, truth: Truth
) -> tuple[str, list[FlowPlan]]:
    project = names.project()
    taken: set[str] = set()
    flows = []
    for _ in range(size):
        flow = names.flow(taken)
        embed = flow2 and rng.random() < 0.3
        nodes, depth = _graph(rng, names, project, flow, taken, embed)
        plan = FlowPlan(project, flow, nodes, depth)
        if rng.random() < 0.55:
            plan.cadence, plan.cron, minute, hour = _cron(rng)
            truth.scheduled += 1
            truth.cadences[plan.cadence] += 1
            truth.minute_zero += minute == 0
            truth.midnight += hour == 0 and minute == 0
        flows.append(plan)
        truth.jobs.append(len(nodes))
        truth.depths.append(depth)
        truth.embedded_flows += sum(1 for n in _walk(nodes) if n.children is not None)
        truth.names |= {flow, *(n.name for n in _walk(nodes))}
        truth.commands |= {n.command for n in _walk(nodes) if n.command}
    truth.names.add(project)
    return project, flows


def _schedule_all(http: _Http, plans: list[FlowPlan], threads: int) -> None:
    def one(plan: FlowPlan) -> None:
        reply = http.post(
            "/schedule",
            ajax="scheduleCronFlow",
            projectName=plan.project,
            flow=plan.name,
            cronExpression=plan.cron,
        )
        assert reply.get("status") == "success", reply

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, [p for p in plans if p.cron]))


def _load_history(url: str, runs: list[dict[str, Any]], batch: int = 5000) -> None:
    for i in range(0, len(runs), batch):
        reply = requests.post(
            f"{url}/_sandbox/executions/load",
            json={"executions": runs[i : i + batch]},
            timeout=TIMEOUT,
        )
        assert reply.status_code == 200, reply.text


def build_standin(
    url: str, user: str = "azkaban", password: str = "azkaban", spec: StandinSpec | None = None
) -> Truth:
    """Build the stand-in in the (empty) sandbox at ``url``; returns what it made."""
    spec = spec or StandinSpec()
    started = time.monotonic()
    rng = random.Random(spec.seed)
    names, truth, http = Names(rng), Truth(), _Http(url, user, password)
    now_ms = int(time.time() * 1000)
    plans: list[FlowPlan] = []
    every = max(1, round(1 / spec.flow2_project_share)) if spec.flow2_project_share else 0
    for index, size in enumerate(_project_sizes(rng, spec.flows)):
        flow2 = bool(every) and index % every == 1
        project, flows = _plan_project(rng, names, size, flow2, truth)
        created = http.post(
            "/manager", action="create", name=project, description=f"{project} pipelines"
        )
        assert created.get("status") == "success", created
        uploaded = http.upload(project, project_zip(flows, flow2))
        assert "error" not in uploaded, (project, uploaded)
        truth.projects += 1
        truth.flow2_projects += flow2
        plans += flows
    truth.flows = len(plans)
    truth.some_flow = (plans[0].project, plans[0].name)
    _schedule_all(http, plans, spec.schedule_threads)
    runs = [run for plan in plans for run in _runs(rng, plan, spec, now_ms)]
    _load_history(url, runs)
    window = now_ms - spec.history_days * DAY_MS
    truth.runs = len(runs)
    truth.failed_runs = sum(1 for r in runs if r["status"] == "FAILED")
    truth.runs_in_window = sum(1 for r in runs if r["submit"] >= window)
    truth.flows_with_runs = len({(r["project"], r["flow"]) for r in runs})
    truth.requests = http.requests + -(-len(runs) // 5000)
    truth.seconds = time.monotonic() - started
    return truth


# --------------------------------------------------------------------------- test handles


READER, READER_PASSWORD = "qa_reader", "read-only-pw"
# Not azkaban/azkaban: a client registers its password for redaction process-wide, and the
# text "azkaban" would then be masked in every later test's messages.
ADMIN, ADMIN_PASSWORD = "prod_admin", "prod-admin-pw"
STANDIN_FLOWS = 300


@dataclass
class Standin:
    """A sandbox holding the stand-in, what was built, and the READ-only account."""

    url: str
    server: SandboxServer
    truth: Truth

    def settings(self, user: str = READER, password: str = READER_PASSWORD) -> ConnectionSettings:
        return ConnectionSettings(url=self.url, user=user, password=password, timeout=30.0)

    def reset_stats(self) -> None:
        requests.post(f"{self.url}/_sandbox/stats/reset", timeout=10).raise_for_status()

    def stats(self) -> dict[str, Any]:
        reply = requests.get(f"{self.url}/_sandbox/stats", timeout=10)
        reply.raise_for_status()
        result: dict[str, Any] = reply.json()
        return result


def reader_config(data_dir: Path, **overrides: Any) -> SandboxConfig:
    """A sandbox config with the admin and the READ-only account."""
    return SandboxConfig(
        port=0,
        data_dir=data_dir,
        users={ADMIN: ADMIN_PASSWORD, READER: READER_PASSWORD},
        user_roles={READER: ("READ",)},
        **overrides,
    )


class OddServer:
    """A loopback HTTP server that logs anyone in and answers every GET with ``reply(path,
    query)`` -> (status, body, headers); records each request line."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.reply: Callable[[str, str], tuple[int, str, dict[str, str]]] = lambda p, q: (
            200,
            "{}",
            {},
        )
        odd = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _send(self, status: int, body: str, headers: dict[str, str]) -> None:
                data = body.encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                odd.seen.append(f"POST {self.path}")
                self._send(200, json.dumps({"status": "success", "session.id": "s-1"}), {})

            def do_GET(self) -> None:
                odd.seen.append(f"GET {self.path}")
                path, _, query = self.path.partition("?")
                self._send(*odd.reply(path, query))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def settings(self) -> ConnectionSettings:
        return ConnectionSettings(url=self.url, user="qa", password="pw", timeout=5.0)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
