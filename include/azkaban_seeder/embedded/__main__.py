"""``python -m azkaban_seeder.embedded``: the main job (see `azkaban_seeder.embedded.job`)."""

from __future__ import annotations

from azkaban_seeder.embedded.job import main

raise SystemExit(main())
