"""The profile package's exceptions, both `ValueError` s::

    ValueError
    ├── ProfileError   a profile file or crawl that cannot be used (problem + fix)
    └── GraphError     a flow graph that cannot be measured (a cycle, a bad parent index)

`build_profile` logs and leaves out a flow whose graph raises `GraphError`; everything that
reads or writes a profile raises `ProfileError`.
"""

from __future__ import annotations


class ProfileError(ValueError):
    """A profile that cannot be used: what is wrong and how to fix it."""

    def __init__(self, problem: str, fix: str, *, source: str = "") -> None:
        self.problem = problem
        self.fix = fix
        self.source = source
        where = f"profile {source}: " if source else "profile: "
        super().__init__(f"{where}{problem}; fix: {fix}")


class GraphError(ValueError):
    """A flow graph that cannot be measured (a cycle, a parent index out of range)."""
