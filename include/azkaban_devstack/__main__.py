"""``python -m azkaban_devstack``: the main job (see `azkaban_devstack.job`)."""

from __future__ import annotations

from azkaban_devstack.job import main

raise SystemExit(main())
