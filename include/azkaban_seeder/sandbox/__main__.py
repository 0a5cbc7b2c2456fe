"""`python -m azkaban_seeder.sandbox`: run the sandbox server."""

from __future__ import annotations

from azkaban_seeder.sandbox.server import sandbox_main

raise SystemExit(sandbox_main())
