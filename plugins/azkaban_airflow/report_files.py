"""Where a run's report and its companions live: one directory, one name per run id.

``<report dir>/<run id>.json`` is the report (`azkaban_seeder.report.RunReport` JSON), written
by the rebuild's ``report`` task; beside it, when a likeness check ran, ``<run id>.likeness.json``
(the likeness report), ``<run id>.likeness.txt`` (its table) and ``<run id>.likeness.png`` (its
chart). The report page of the api-server plugin reads the same names, so the task and the page
agree by construction. ``<report dir>/profiles/<run id>.json`` is where ``azkaban_env_profile``
writes a profile unless its ``out`` param names another file.
Characters other than letters, digits, ``.``, ``_`` and ``-`` in a run id (``:`` and ``+`` of
the timestamp) become ``_`` so the names are portable.
"""

from __future__ import annotations

import re
from pathlib import Path

REPORT_SUFFIX = ".json"
LIKENESS_JSON_SUFFIX = ".likeness.json"
LIKENESS_TXT_SUFFIX = ".likeness.txt"
LIKENESS_PNG_SUFFIX = ".likeness.png"
PROFILES_DIR = "profiles"


def file_stem(run_id: str) -> str:
    """The run id as a portable file name stem."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", run_id)


def report_file(report_dir: Path, run_id: str) -> Path:
    """``<report dir>/<run id>.json``."""
    return report_dir / (file_stem(run_id) + REPORT_SUFFIX)


def likeness_json(report_dir: Path, run_id: str) -> Path:
    """``<report dir>/<run id>.likeness.json`` (present only when a likeness check ran)."""
    return report_dir / (file_stem(run_id) + LIKENESS_JSON_SUFFIX)


def likeness_txt(report_dir: Path, run_id: str) -> Path:
    """``<report dir>/<run id>.likeness.txt`` (the likeness table, as the task log shows it)."""
    return report_dir / (file_stem(run_id) + LIKENESS_TXT_SUFFIX)


def profile_file(report_dir: Path, run_id: str) -> Path:
    """``<report dir>/profiles/<run id>.json``: the default output of ``azkaban_env_profile``."""
    return report_dir / PROFILES_DIR / (file_stem(run_id) + REPORT_SUFFIX)


def likeness_png(report_dir: Path, run_id: str) -> Path:
    """``<report dir>/<run id>.likeness.png`` (present only when a chart was drawn)."""
    return report_dir / (file_stem(run_id) + LIKENESS_PNG_SUFFIX)
