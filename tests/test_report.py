"""build_report / format_summary over result records (no server needed)."""

from __future__ import annotations

import json

import pytest

from azkaban_seeder.report import (
    SCHEMA_VERSION,
    RunReport,
    build_report,
    format_summary,
    write_report,
)
from azkaban_seeder.runner import ProjectResult, ShardResult
from azkaban_seeder.spec import EnvSpec
from azkaban_seeder.verify import VerifyReport

SPEC = EnvSpec(flow_count=30, flows_per_project=10, projects_per_shard=2, prefix="rep")


def _shards() -> list[ShardResult]:
    return [
        ShardResult(
            shard_index=1,
            label="rep_00002",
            projects=[
                ProjectResult("rep_00002", 0, 0, 7, {"http_503": 3}, 9.5, "UploadRejected: bad zip")
            ],
            seconds=9.6,
        ),
        ShardResult(
            shard_index=0,
            label="rep_00000..rep_00001",
            projects=[
                ProjectResult("rep_00000", 10, 2000, 3, {"http_503": 1}, 1.0),
                ProjectResult("rep_00001", 10, 2100, 4, {"timeout": 2}, 1.2),
            ],
            seconds=2.4,
        ),
    ]


def test_report_totals_retries_failures_and_throughput() -> None:
    verify = VerifyReport(expected_projects=3, expected_flows=30, present=20)
    verify.missing_projects.append("rep_00002")
    verify.missing_project_flows = 10

    report = build_report(SPEC, _shards(), verify, seconds=4.0).to_dict()

    assert report["schema_version"] == SCHEMA_VERSION
    assert report["ok"] is False
    assert report["totals"]["flows_uploaded"] == 20
    assert report["totals"]["projects_uploaded"] == 2
    assert report["totals"]["projects_failed"] == 1
    assert report["totals"]["bytes_uploaded"] == 4100
    assert report["totals"]["http_attempts"] == 14
    assert report["retries_by_reason"] == {"http_503": 4, "timeout": 2}
    assert report["throughput_flows_per_s"] == 5.0
    assert [s["index"] for s in report["shards"]] == [0, 1]
    assert report["failures"] == [
        {"shard": 1, "project": "rep_00002", "reason": "UploadRejected: bad zip"}
    ]
    assert report["verify"]["missing_count"] == 10
    json.dumps(report)  # JSON-able as a whole


def test_report_accepts_shard_dicts_as_from_xcom() -> None:
    as_dicts = [json.loads(json.dumps(s.to_dict())) for s in _shards()]

    assert build_report(SPEC, as_dicts, None, 4.0) == build_report(SPEC, _shards(), None, 4.0)


def test_report_is_ok_only_without_failures_and_with_a_clean_verify() -> None:
    clean = [s for s in _shards() if s.shard_index == 0]
    good_verify = VerifyReport(expected_projects=2, expected_flows=20, present=20)

    assert build_report(SPEC, clean, good_verify, 1.0).ok is True
    assert build_report(SPEC, clean, None, 1.0).ok is True
    assert build_report(SPEC, _shards(), good_verify, 1.0).ok is False
    assert build_report(SPEC, clean, good_verify.to_dict(), 1.0).ok is True


def test_summary_table_lists_shards_retries_failures_and_verify() -> None:
    verify = VerifyReport(expected_projects=3, expected_flows=30, present=20)
    verify.missing_projects.append("rep_00002")
    verify.missing_project_flows = 10

    text = format_summary(build_report(SPEC, _shards(), verify, seconds=4.0))

    assert text.splitlines()[0] == "result: FAILED"
    assert "flows uploaded 20/30 in 2/3 projects, 2 shard(s), 4.0s, 5.0 flows/s" in text
    assert "rep_00000..rep_00001" in text and "rep_00002" in text
    assert "retries: http_503=4, timeout=2" in text
    assert "rep_00002: UploadRejected: bad zip" in text
    assert "verify: MISMATCH  present 20/30  missing 10" in text


def test_summary_counts_projects_verify_could_not_read() -> None:
    # Regression: unreadable projects were in no count of the summary line.
    verify = VerifyReport(expected_projects=3, expected_flows=30, present=10)
    verify.errors = {"rep_00002": "ServerUnreachable: down", "rep_00001": "RequestTimeout: x"}
    verify.unread_flows = verify.missing_project_flows = 20
    clean = [s for s in _shards() if s.shard_index == 0]

    report = build_report(SPEC, clean, verify, seconds=4.0)
    text = format_summary(report)

    assert report.ok is False and text.splitlines()[0] == "result: FAILED"
    assert "missing 20  unexpected 0  missing projects 0  unreadable projects 2" in text
    assert (
        "read errors: 2 project(s), 20 flow(s) not read (counted as missing); "
        "first: rep_00001: RequestTimeout: x"
    ) in text
    assert report.to_dict()["verify"]["error_count"] == 2
    clean_verify = VerifyReport(expected_projects=2, expected_flows=20, present=20)
    assert "unreadable projects 0" in format_summary(build_report(SPEC, clean, clean_verify, 1.0))
    assert "read errors" not in format_summary(build_report(SPEC, clean, clean_verify, 1.0))


def test_json_round_trip_through_a_file_keeps_every_number(tmp_path) -> None:  # type: ignore[no-untyped-def]
    verify = VerifyReport(expected_projects=3, expected_flows=30, present=20)
    verify.missing_projects.append("rep_00002")
    verify.missing_project_flows = 10
    report = build_report(
        SPEC, _shards(), verify, 4.0, run_id="manual__1", report_path="r.json", pruned=["rep_9"]
    )

    path = write_report(report, tmp_path / "deep" / "r.json")
    again = RunReport.from_dict(json.loads(path.read_text()))

    assert again == report
    assert again.verify is not None and again.verify.missing_count == 10
    assert format_summary(again) == format_summary(report)


@pytest.mark.parametrize("version", [None, SCHEMA_VERSION + 1, "1"])
def test_a_report_of_an_unknown_schema_is_refused(version: object) -> None:
    data = build_report(SPEC, _shards(), None, 1.0).to_dict()
    data["schema_version"] = version

    with pytest.raises(ValueError, match="schema_version"):
        RunReport.from_dict(data)
