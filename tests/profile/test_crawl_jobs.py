"""The crawl's field table and the profile/likeness jobs the CLI and the Airflow tasks share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from standin import Standin

from azkaban_seeder.crawl import (
    CRAWL_FIELDS,
    CrawlIncomplete,
    CrawlOptions,
    LikenessFiles,
    compare_options,
    crawl_outcome,
    write_likeness,
    write_profile,
)
from azkaban_seeder.fields import SpecError
from azkaban_seeder.profile import Profile, load_profile

FAST = {"rate": 2000.0}


def test_the_field_table_gives_the_options_their_defaults_and_bounds() -> None:
    defaults = CrawlOptions()
    assert {name: getattr(defaults, name) for name in CRAWL_FIELDS} == {
        name: field.default for name, field in CRAWL_FIELDS.items()
    }
    with pytest.raises(SpecError, match=r"max_in_flight: must be between 1 and 8 \(got 9\)"):
        CrawlOptions(max_in_flight=9)


def test_from_mapping_takes_loose_values_and_none_as_the_default() -> None:
    options = CrawlOptions.from_mapping({"rate": "250", "history_days": "7", "seed": None})
    assert (options.rate, options.history_days, options.seed) == (250.0, 7, 0)
    with pytest.raises(SpecError) as refused:
        CrawlOptions.from_mapping({"budget_seconds": "soon"})
    assert refused.value.field == "budget_seconds" and refused.value.fix


def test_compare_options_sample_like_the_profile_unless_told(small_profile: Profile) -> None:
    source = small_profile.options
    options = compare_options(small_profile, {"history_days": None, "rate": 100})
    assert options.history_days == source.history_days
    assert options.max_executions == source.max_executions_per_flow
    assert compare_options(small_profile, {"history_days": 3}).history_days == 3


def test_likeness_files_are_named_after_the_profile_never_over_it(tmp_path: Path) -> None:
    files = LikenessFiles.beside_profile(Path("/x/prod.profile.json"), tmp_path)
    assert [p.name for p in (files.json, files.txt, files.png)] == [
        "prod.likeness.json",
        "prod.likeness.txt",
        "prod.likeness.png",
    ]


def test_importing_the_field_table_loads_no_client() -> None:
    # DAG files import it at parse time: no requests, no crawler, no profile builder.
    code = (
        "import sys, azkaban_seeder.crawl.options as o; assert o.CRAWL_FIELDS; "
        "print(sorted(m for m in sys.modules if m.startswith(('requests', 'azkaban_seeder'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert "requests" not in loaded and "crawler" not in loaded and "profile" not in loaded


def test_a_crawl_can_be_limited_to_some_projects(standin: Standin) -> None:
    project, _flow = standin.truth.some_flow
    outcome = crawl_outcome(standin.settings(), CrawlOptions(**FAST), projects={project})
    obs = outcome.check()
    assert obs.projects == 1
    assert 0 < len(obs.flows) < standin.truth.flows


def test_profile_then_likeness_of_the_same_server_passes(standin: Standin, tmp_path: Path) -> None:
    path = tmp_path / "prod.json"
    written = write_profile(standin.settings(), CrawlOptions(**FAST), path)
    assert load_profile(path).counts.flows == standin.truth.flows == written.profile.counts.flows
    assert "profile written to" in written.summary()
    files = LikenessFiles.named(tmp_path, "again")
    options = compare_options(written.profile, {**FAST, "max_history_flows": 0})
    alike = write_likeness(written.profile, standin.settings(), options, files)
    summary = alike.summary()
    assert summary["metrics"]["jobs_per_flow"]["value"] == 0.0
    assert summary["target_flows"] == standin.truth.flows
    assert files.json in alike.files and files.txt.read_text() == alike.report.render_text()


def test_an_incomplete_crawl_writes_no_file(standin: Standin, tmp_path: Path) -> None:
    path = tmp_path / "prod.json"
    with pytest.raises(CrawlIncomplete, match="time budget"):
        write_profile(standin.settings(), CrawlOptions(rate=20, budget_seconds=0.3), path)
    assert list(tmp_path.iterdir()) == []
