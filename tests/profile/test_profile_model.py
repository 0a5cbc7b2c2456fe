from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from azkaban_seeder.profile import Profile, ProfileError, dump_profile, load_profile
from azkaban_seeder.profile.jsonfile import read_profile


def _write(tmp_path: Path, doc: Any) -> Path:
    path = tmp_path / "p.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def _refusal(tmp_path: Path, doc: Any) -> ProfileError:
    with pytest.raises(ProfileError) as info:
        read_profile(_write(tmp_path, doc))
    error = info.value
    assert error.fix and "fix:" in str(error)
    assert str(tmp_path / "p.json") in str(error)  # the message names the file
    return error


def test_round_trip(small_profile: Profile, profile_path: Path) -> None:
    assert read_profile(profile_path) == small_profile
    again = profile_path.with_name("again.json")
    dump_profile(read_profile(profile_path), again)
    assert again.read_bytes() == profile_path.read_bytes()


def test_the_file_holds_no_names(profile_path: Path) -> None:
    text = profile_path.read_text()
    assert "flow_0" not in text and "sleep" not in text
    doc = json.loads(text)
    assert (doc["format"], doc["schema_version"], doc["complete"]) == (
        "azkaban-seeder-profile",
        1,
        True,
    )


def test_loaded_profiles_are_cached_by_path_mtime_and_size(profile_path: Path) -> None:
    first = load_profile(profile_path)
    assert load_profile(str(profile_path)) is first
    doc = json.loads(profile_path.read_text())
    doc["counts"]["projects"] += 1
    profile_path.write_text(json.dumps(doc))
    os.utime(profile_path, ns=(1, 1))
    changed = load_profile(profile_path)
    assert changed is not first
    assert changed.counts.projects == first.counts.projects + 1


def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as info:
        load_profile(tmp_path / "missing.json")
    assert "cannot read" in info.value.problem
    assert "every worker can read it" in info.value.fix
    with pytest.raises(ProfileError, match="cannot read"):
        read_profile(tmp_path)  # a directory


def test_not_json_is_refused(tmp_path: Path) -> None:
    error = _refusal(tmp_path, "format: azkaban-seeder-profile\n")
    assert "not JSON" in error.problem


def test_truncated_json_is_refused(tmp_path: Path, profile_path: Path) -> None:
    text = profile_path.read_text()
    error = _refusal(tmp_path, text[: len(text) // 2])
    assert "truncated" in error.problem
    assert "interrupted" in error.fix


def test_empty_file_is_refused(tmp_path: Path) -> None:
    assert "empty" in _refusal(tmp_path, "").problem


def test_wrong_format_is_refused(tmp_path: Path, profile_doc: dict[str, Any]) -> None:
    profile_doc["format"] = "something-else"
    error = _refusal(tmp_path, profile_doc)
    assert "format" in error.problem and "crawler" in error.fix


def test_missing_schema_version_is_refused(tmp_path: Path, profile_doc: dict[str, Any]) -> None:
    del profile_doc["schema_version"]
    assert "missing schema_version" in _refusal(tmp_path, profile_doc).problem


def test_unknown_older_schema_version_is_refused(
    tmp_path: Path, profile_doc: dict[str, Any]
) -> None:
    profile_doc["schema_version"] = 0
    error = _refusal(tmp_path, profile_doc)
    assert "unknown schema_version 0" in error.problem and "re-crawl" in error.fix


def test_newer_schema_version_asks_for_an_upgrade(
    tmp_path: Path, profile_doc: dict[str, Any]
) -> None:
    profile_doc["schema_version"] = 2
    error = _refusal(tmp_path, profile_doc)
    assert "written by a newer azkaban-seeder" in error.problem
    assert error.fix == "upgrade azkaban-seeder"


def test_partial_crawl_is_refused(tmp_path: Path, profile_doc: dict[str, Any]) -> None:
    profile_doc["complete"] = False
    error = _refusal(tmp_path, profile_doc)
    assert "partial crawl" in error.problem and "to completion" in error.fix


def test_missing_key_is_refused(tmp_path: Path, profile_doc: dict[str, Any]) -> None:
    del profile_doc["graphs"]["depth"]
    assert "missing key graphs.depth" in _refusal(tmp_path, profile_doc).problem


def test_mistyped_key_is_refused(tmp_path: Path, profile_doc: dict[str, Any]) -> None:
    profile_doc["counts"]["flows"] = "10000"
    assert "counts.flows must be an integer" in _refusal(tmp_path, profile_doc).problem
    profile_doc["counts"]["flows"] = 10_000
    profile_doc["graphs"]["jobs_per_flow"] = {"1": 5}
    assert "graphs.jobs_per_flow must be a list" in _refusal(tmp_path, profile_doc).problem


def test_unknown_key_is_refused(tmp_path: Path, profile_doc: dict[str, Any]) -> None:
    profile_doc["schedules"]["cadences"]["monthly"] = 3
    error = _refusal(tmp_path, profile_doc)
    assert "unknown key schedules.cadences.monthly" in error.problem
    assert "remove it" in error.fix


def test_negative_count_is_refused(tmp_path: Path, profile_doc: dict[str, Any]) -> None:
    profile_doc["graphs"]["depth"][0][2] = -3
    assert "negative count -3" in _refusal(tmp_path, profile_doc).problem
    profile_doc["graphs"]["depth"][0][2] = 3
    profile_doc["counts"]["projects"] = -1
    assert "negative count -1 in counts.projects" in _refusal(tmp_path, profile_doc).problem


def test_non_finite_numbers_are_refused(tmp_path: Path, profile_doc: dict[str, Any]) -> None:
    text = json.dumps(profile_doc).replace('"js": 0.05', '"js": NaN')
    assert "non-finite" in _refusal(tmp_path, text).problem


@pytest.mark.parametrize(
    ("job_type", "why"),
    [
        ("my project", "looks like a name"),
        ("/usr/bin/run", "looks like a name"),
        ("KEY=value", "looks like a name"),
        ("x" * 65, "looks like a name"),
        ("9lives", "is not a token"),
        ("naïve", "is not a token"),
    ],
)
def test_job_types_must_be_tokens(
    tmp_path: Path, profile_doc: dict[str, Any], job_type: str, why: str
) -> None:
    profile_doc["graphs"]["job_types"][0][0] = job_type
    error = _refusal(tmp_path, profile_doc)
    assert why in error.problem and "distributions only" in error.fix


def test_strings_outside_the_vocabulary_are_refused(
    tmp_path: Path, profile_doc: dict[str, Any]
) -> None:
    profile_doc["graphs"]["flow_formats"]["etl_nightly"] = 1
    assert "unknown key" in _refusal(tmp_path, profile_doc).problem
    del profile_doc["graphs"]["flow_formats"]["etl_nightly"]
    profile_doc["created"] = "yesterday"
    assert "created must be an ISO UTC time" in _refusal(tmp_path, profile_doc).problem


@pytest.mark.parametrize("key", ["project", "flow", "name", "command"])
def test_a_profile_with_names_is_refused(
    tmp_path: Path, profile_doc: dict[str, Any], key: str
) -> None:
    profile_doc["schedules"]["daily"][key] = "nightly_etl"
    error = _refusal(tmp_path, profile_doc)
    assert f"contains names (key {key!r} at schedules.daily)" in error.problem
    assert "never add names" in error.fix


def test_names_nested_in_lists_are_refused(tmp_path: Path, profile_doc: dict[str, Any]) -> None:
    profile_doc["executions"]["job_seconds"][0]["command"] = "run.sh"
    assert "contains names" in _refusal(tmp_path, profile_doc).problem
