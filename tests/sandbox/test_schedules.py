"""Cron schedules under /schedule (reference 4.7, 4.8, 4.9, 6.2).

Schedules are global on a server, so listings are filtered to this test's project.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from conformance import unique
from sandbox_client import Az
from sandbox_zips import chain_flows

CRON = "0 0 12 * * ?"


class Sched:
    """A logged-in client and a project with flows f0000..f0002."""

    def __init__(self, az: Az) -> None:
        self.az = az
        self.project = unique("sch")
        az.create(self.project)
        az.upload(self.project, chain_flows(3))

    def schedule(
        self, flow: str, cron: str | None = CRON, method: str = "post", **extra: Any
    ) -> dict[str, Any]:
        """ajax=scheduleCronFlow for one of the project's flows."""
        params = {"ajax": "scheduleCronFlow", "projectName": self.project, "flow": flow, **extra}
        if cron is not None:
            params["cronExpression"] = cron
        call = self.az.post if method == "post" else self.az.get
        return call("/schedule", **params).json()

    def items(self) -> list[dict[str, Any]]:
        """ajax=fetchSchedules items of this project."""
        reply = self.az.get("/schedule", ajax="fetchSchedules").json()
        return [i for i in reply.get("items", []) if i["projectname"] == self.project]


@pytest.fixture
def sched(az: Az) -> Sched:
    return Sched(az)


def test_schedule_success_and_upsert_keeps_id(sched: Sched) -> None:
    first = sched.schedule("f0000")
    schedule_id = first["scheduleId"]
    assert first == {
        "status": "success",
        "scheduleId": schedule_id,
        "message": f"{sched.project}.f0000 scheduled.",
    }
    assert isinstance(schedule_id, int) and schedule_id > 0
    again = sched.schedule("f0000", cron="0 30 1 ? * MON", method="get")
    assert again["scheduleId"] == schedule_id
    other = sched.schedule("f0001")["scheduleId"]
    assert other > schedule_id
    assert [(i["scheduleId"], i["flowname"], i["cron"]) for i in sched.items()] == [
        (schedule_id, "f0000", "0 30 1 ? * MON"),
        (other, "f0001", CRON),
    ]


@pytest.mark.fresh_server
def test_fetch_schedules_without_any_is_empty_object(az: Az) -> None:
    assert az.get("/schedule", ajax="fetchSchedules").json() == {}


@pytest.mark.parametrize("cron", ["0 23 ? * *", "0 0 0 1 1 ? 2020", "0 0 12 * * *", "bogus"])
def test_invalid_cron_is_error_key_without_status(sched: Sched, cron: str) -> None:
    reply = sched.schedule("f0000", cron=cron)
    assert reply == {"error": f"This expression <{cron}> can not be parsed to quartz cron."}
    assert sched.items() == []


def test_missing_cron_expression_quirk(sched: Sched) -> None:
    reply = sched.schedule("f0000", cron=None)
    assert reply == {
        "error": "Cron expression must exist.",
        "status": "success",
        "scheduleId": -1,
        "message": f"{sched.project}.f0000 scheduled.",
    }
    assert sched.items() == []


def test_schedule_errors(sched: Sched) -> None:
    missing = unique("nope")
    assert sched.az.post(
        "/schedule", ajax="scheduleCronFlow", projectName=missing, flow="x", cronExpression=CRON
    ).json() == {"status": "error", "message": f"Project {missing} does not exist"}
    assert sched.schedule("zz") == {
        "status": "error",
        "message": f"Flow zz cannot be found in project {sched.project}",
    }
    no_project = sched.az.post("/schedule", ajax="scheduleCronFlow", flow="x", cronExpression=CRON)
    assert no_project.status_code == 500


def test_fetch_schedule_shape(sched: Sched) -> None:
    az = sched.az
    project_id = az.project_id(sched.project)
    fetch = {"ajax": "fetchSchedule", "projectId": project_id, "flowId": "f0000"}
    assert az.get("/schedule", **fetch).json() == {}
    made = sched.schedule("f0000", concurrentOption="ignore", failureEmails="a@x.org;b@x.org")
    sch = az.get("/schedule", **fetch).json()["schedule"]
    assert sch["scheduleId"] == str(made["scheduleId"])
    assert sch["submitUser"] == az.user
    assert sch["cronExpression"] == CRON
    assert sch["period"] == "null"
    stamp = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"
    assert re.match(stamp, sch["firstSchedTime"])
    assert re.match(stamp, sch["nextExecTime"]) and sch["nextExecTime"].endswith("12:00:00")
    assert sch["executionOptions"]["concurrentOption"] == "ignore"
    assert sch["executionOptions"]["failureEmails"] == ["a@x.org", "b@x.org"]


@pytest.mark.parametrize("project_id", [None, "abc"])
def test_fetch_schedule_bad_project_id_is_500(sched: Sched, project_id: str | None) -> None:
    params = {"ajax": "fetchSchedule", "flowId": "f0000"}
    if project_id is not None:
        params["projectId"] = project_id
    assert sched.az.get("/schedule", **params).status_code == 500


def test_remove_schedule_only_via_post_action(sched: Sched) -> None:
    az = sched.az
    schedule_id = sched.schedule("f0000")["scheduleId"]
    assert az.post("/schedule", ajax="removeSched", scheduleId=schedule_id).json() == {}
    assert len(sched.items()) == 1
    assert az.post("/schedule", action="removeSched", scheduleId=schedule_id).json() == {
        "status": "success",
        "message": "flow f0000 removed from Schedules.",
    }
    assert sched.items() == []
    assert az.post("/schedule", action="removeSched", scheduleId=schedule_id).json() == {
        "status": "error",
        "message": f"Schedule with ID {schedule_id} does not exist",
    }
    assert az.post("/schedule", action="removeSched").status_code == 500


def test_reupload_drops_schedules_of_vanished_flows_only(sched: Sched) -> None:
    sched.schedule("f0000")
    sched.schedule("f0002")
    sched.az.upload(sched.project, chain_flows(2))  # f0002 disappears
    assert [i["flowname"] for i in sched.items()] == ["f0000"]


def test_delete_project_removes_its_schedules(sched: Sched) -> None:
    sched.schedule("f0000")
    sched.az.get("/manager", delete="true", project=sched.project)
    assert sched.items() == []
