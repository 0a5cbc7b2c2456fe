"""Cron schedules under /schedule (spec 4.7, 4.8, 4.9, 6.2)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sandbox_client import Az
from sandbox_zips import chain_flows

CRON = "0 0 12 * * ?"


@pytest.fixture
def sched(az: Az) -> Az:
    az.create("sch")
    az.upload("sch", chain_flows(3))
    return az


def _schedule(
    az: Az, flow: str, cron: str | None = CRON, method: str = "post", **extra: Any
) -> dict[str, Any]:
    params = {"ajax": "scheduleCronFlow", "projectName": "sch", "flow": flow, **extra}
    if cron is not None:
        params["cronExpression"] = cron
    call = az.post if method == "post" else az.get
    return call("/schedule", **params).json()


def _all(az: Az) -> dict[str, Any]:
    return az.get("/schedule", ajax="fetchSchedules").json()


def test_schedule_success_and_upsert_keeps_id(sched: Az) -> None:
    first = _schedule(sched, "f0000")
    assert first == {"status": "success", "scheduleId": 1, "message": "sch.f0000 scheduled."}
    again = _schedule(sched, "f0000", cron="0 30 1 ? * MON", method="get")
    assert again["scheduleId"] == 1
    other = _schedule(sched, "f0001")
    assert other["scheduleId"] == 2
    items = _all(sched)["items"]
    assert [(i["scheduleId"], i["flowname"], i["cron"]) for i in items] == [
        (1, "f0000", "0 30 1 ? * MON"),
        (2, "f0001", CRON),
    ]
    assert items[0]["projectname"] == "sch"


@pytest.mark.parametrize("cron", ["0 23 ? * *", "0 0 0 1 1 ? 2020", "0 0 12 * * *", "bogus"])
def test_invalid_cron_is_error_key_without_status(sched: Az, cron: str | None) -> None:
    reply = _schedule(sched, "f0000", cron=cron)
    assert reply == {"error": f"This expression <{cron}> can not be parsed to quartz cron."}
    assert _all(sched) == {}


def test_missing_cron_expression_quirk(sched: Az) -> None:
    reply = _schedule(sched, "f0000", cron=None)
    assert reply == {
        "error": "Cron expression must exist.",
        "status": "success",
        "scheduleId": -1,
        "message": "sch.f0000 scheduled.",
    }
    assert _all(sched) == {}


def test_schedule_errors(sched: Az) -> None:
    assert sched.post(
        "/schedule", ajax="scheduleCronFlow", projectName="nope", flow="x", cronExpression=CRON
    ).json() == {"status": "error", "message": "Project nope does not exist"}
    assert _schedule(sched, "zz") == {
        "status": "error",
        "message": "Flow zz cannot be found in project sch",
    }
    missing = sched.post("/schedule", ajax="scheduleCronFlow", flow="x", cronExpression=CRON)
    assert missing.status_code == 500


def test_fetch_schedule_shape(sched: Az) -> None:
    project_id = sched.get("/manager", ajax="getProjectId", project="sch").json()["projectId"]
    assert (
        sched.get("/schedule", ajax="fetchSchedule", projectId=project_id, flowId="f0000").json()
        == {}
    )
    _schedule(sched, "f0000", concurrentOption="ignore", failureEmails="a@x.org;b@x.org")
    sch = sched.get("/schedule", ajax="fetchSchedule", projectId=project_id, flowId="f0000").json()[
        "schedule"
    ]
    assert sch["scheduleId"] == "1"
    assert sch["submitUser"] == "azkaban"
    assert sch["cronExpression"] == CRON
    assert sch["period"] == "null"
    stamp = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"
    assert re.match(stamp, sch["firstSchedTime"])
    assert re.match(stamp, sch["nextExecTime"]) and sch["nextExecTime"].endswith("12:00:00")
    assert sch["executionOptions"]["concurrentOption"] == "ignore"
    assert sch["executionOptions"]["failureEmails"] == ["a@x.org", "b@x.org"]


@pytest.mark.parametrize("project_id", [None, "abc"])
def test_fetch_schedule_bad_project_id_is_500(sched: Az, project_id: str | None) -> None:
    params = {"ajax": "fetchSchedule", "flowId": "f0000"}
    if project_id is not None:
        params["projectId"] = project_id
    assert sched.get("/schedule", **params).status_code == 500


def test_remove_schedule_only_via_post_action(sched: Az) -> None:
    _schedule(sched, "f0000")
    assert sched.post("/schedule", ajax="removeSched", scheduleId="1").json() == {}
    assert len(_all(sched)["items"]) == 1
    assert sched.post("/schedule", action="removeSched", scheduleId="1").json() == {
        "status": "success",
        "message": "flow f0000 removed from Schedules.",
    }
    assert _all(sched) == {}
    assert sched.post("/schedule", action="removeSched", scheduleId="1").json() == {
        "status": "error",
        "message": "Schedule with ID 1 does not exist",
    }
    assert sched.post("/schedule", action="removeSched").status_code == 500


def test_reupload_drops_schedules_of_vanished_flows_only(sched: Az) -> None:
    _schedule(sched, "f0000")
    _schedule(sched, "f0002")
    sched.upload("sch", chain_flows(2))  # f0002 disappears
    items = _all(sched)["items"]
    assert [i["flowname"] for i in items] == ["f0000"]


def test_delete_project_removes_its_schedules(sched: Az) -> None:
    _schedule(sched, "f0000")
    sched.get("/manager", delete="true", project="sch")
    assert _all(sched) == {}
