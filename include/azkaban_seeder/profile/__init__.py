"""Mirror production: profiles of a real Azkaban, synthesis from them, likeness reports.

The read-only crawler (built separately) fills `Observations`; `build_profile` turns them
into a `Profile` of distributions (never names), `dump_profile` / `load_profile` write and
read its JSON file (``docs/profile-format.md``), the flows package's shape ``profile`` draws
flows from it (`synth`), and `compare` measures how alike two profiles are (`likeness`),
with a PNG chart when matplotlib is installed (`chart`).

Modules: ``observations`` (the crawler's records), ``model`` (the profile records and their
JSON form), ``errors``, ``jsonfile`` (load, validate, cache, dump), ``build``, ``dag`` (graph
measurements), ``cadence`` (cron classes and fire times), ``stats``, ``synth``, ``graphs``
(synthesis of the flow graphs), ``likeness``, ``chart``.
"""

from __future__ import annotations

from azkaban_seeder.profile.build import build_profile
from azkaban_seeder.profile.errors import GraphError, ProfileError
from azkaban_seeder.profile.jsonfile import dump_profile, load_profile, parse_profile
from azkaban_seeder.profile.likeness import Comparison, LikenessReport, compare
from azkaban_seeder.profile.model import Profile, ProfileOptions, Thresholds
from azkaban_seeder.profile.observations import (
    ExecutionObservation,
    FlowObservation,
    JobRun,
    NodeObservation,
    Observations,
)

__all__ = [
    "Comparison",
    "ExecutionObservation",
    "FlowObservation",
    "GraphError",
    "JobRun",
    "LikenessReport",
    "NodeObservation",
    "Observations",
    "Profile",
    "ProfileError",
    "ProfileOptions",
    "Thresholds",
    "build_profile",
    "compare",
    "dump_profile",
    "load_profile",
    "parse_profile",
]
