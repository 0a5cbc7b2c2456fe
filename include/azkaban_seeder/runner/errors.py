"""Exceptions of the runner (they become `ProjectResult.error` texts, never cross processes)."""

from __future__ import annotations


class PreUploadCheckError(Exception):
    """The zip we built does not load into exactly the planned flows (a bug on our side)."""
