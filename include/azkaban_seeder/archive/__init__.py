"""Deterministic, streaming project zip writers for Flow 1.0 and Flow 2.0."""

from __future__ import annotations

from azkaban_seeder.archive.project import ZipSummary, build_project_zip_bytes, write_project_zip

__all__ = ["ZipSummary", "build_project_zip_bytes", "write_project_zip"]
