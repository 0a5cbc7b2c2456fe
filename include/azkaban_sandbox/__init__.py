"""An embedded Azkaban-compatible web server for tests, benchmarks and rehearsals.

See docs/sandbox.md. Three objects: `SandboxServer` (HTTP: sockets, threads, request bodies)
wraps a socket-free `SandboxApp` (`Request -> Reply`: routing, login gate, faults, sessions,
costs), whose `SandboxControls` are the test controls (faults, clock, costs, rejections) over
the shared `SandboxState`. Moto-style roles inside the app: `routes` (dispatch table), `gate`
(login), `responses/` (parameters in, replies out), `models/` (state and semantics per area),
`store/` (SQLite), `errors` (the server's texts). `config` is the one settings table the
config, the CLI (`cli`) and the controls share.
"""

from __future__ import annotations

from azkaban_sandbox.app import SandboxApp
from azkaban_sandbox.cli import sandbox_main
from azkaban_sandbox.config import SandboxConfig
from azkaban_sandbox.control import SandboxControls
from azkaban_sandbox.server import SandboxServer

__all__ = ["SandboxApp", "SandboxConfig", "SandboxControls", "SandboxServer", "sandbox_main"]
