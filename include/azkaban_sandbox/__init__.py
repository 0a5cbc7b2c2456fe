"""An embedded Azkaban-compatible web server for tests, benchmarks and rehearsals.

See docs/sandbox.md. Roles (moto-style): `routes` (dispatch table and login gate),
`responses` (endpoint handlers), `wire` (request/reply records and encodings), `models`
(semantics), `store` (SQLite), `sessions`, `faults`, `costs`, `errors` (the server's texts),
`server` (`SandboxConfig`, `SandboxServer`, `sandbox_main`).
"""

from __future__ import annotations

from azkaban_sandbox.server import SandboxConfig, SandboxServer, sandbox_main

__all__ = ["SandboxConfig", "SandboxServer", "sandbox_main"]
