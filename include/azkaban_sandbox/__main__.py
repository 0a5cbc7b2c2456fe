"""`python -m azkaban_sandbox`: run the sandbox server."""

from __future__ import annotations

from azkaban_sandbox.cli import sandbox_main

raise SystemExit(sandbox_main())
