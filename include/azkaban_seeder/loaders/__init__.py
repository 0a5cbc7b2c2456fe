"""Azkaban's project-zip loading rules (Flow 1.0 and 2.0), shared by the sandbox and the engine.

Pure functions: no HTTP, no Airflow. See `project.load_project_zip` for the entry point.
"""

from __future__ import annotations

from azkaban_seeder.loaders.model import InstallError, LoadedFlow, LoadedNode, LoadResult
from azkaban_seeder.loaders.project import load_project_dir, load_project_entries, load_project_zip

__all__ = [
    "InstallError",
    "LoadResult",
    "LoadedFlow",
    "LoadedNode",
    "load_project_dir",
    "load_project_entries",
    "load_project_zip",
]
