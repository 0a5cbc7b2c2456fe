"""Records produced by the project-zip loaders, and the install-level exception.

These mirror what Azkaban's web server keeps after `POST /manager` (ajax=upload) has loaded a
zip: the flows (`fetchprojectflows`), each flow's node graph (`fetchflowgraph`) and the
"Directory Flow" validation report texts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FlowFormat = Literal["1.0", "2.0"]


class InstallError(Exception):
    """An install-level failure: the real server answers HTTP 500 "Installation Failed.<br><msg>".

    Raised for archives that cannot be unzipped ("Error unzipping file.") and for `.project`
    problems; flow-level problems are collected in `LoadResult.errors` instead.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class LoadedNode:
    """One node of a flow graph (a job, or an embedded-flow node)."""

    id: str
    type: str | None
    in_: list[str] = field(default_factory=list)
    condition: str | None = None
    embedded_flow_id: str | None = None
    props: dict[str, str] = field(default_factory=dict)


@dataclass
class LoadedFlow:
    """A flow as the server registers it; embedded Flow 2.0 sub-flows have `embedded=True`."""

    flow_id: str
    embedded: bool
    nodes: dict[str, LoadedNode] = field(default_factory=dict)
    props: dict[str, str] = field(default_factory=dict)


@dataclass
class LoadResult:
    """Outcome of loading one project archive.

    `errors` holds the server's "Directory Flow" report messages, sorted (the server keeps them in
    a HashSet, so its own order is arbitrary). A non-empty list means the upload is rejected.
    """

    flow_format: FlowFormat
    flows: dict[str, LoadedFlow] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    job_files: int = 0
    flow_files: int = 0

    @property
    def ok(self) -> bool:
        """True when the server would accept the upload (no flow-loader errors)."""
        return not self.errors
