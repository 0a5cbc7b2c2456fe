"""The single rule deciding whether an existing Azkaban project belongs to azkaban-seeder.

Every project we create carries `MARKER` in its description. Azkaban's AJAX replies never
include the description (fetchallprojects, fetchuserprojects and fetchprojectflows have no
such field; spec 4.3/4.5), but the project page ``GET /manager?project=P`` shows it, so the
client reads ownership from there (`AzkabanClient.foreign_reason`).

A project is ours only if its description carries the marker: a same-named project made by
someone else (even an empty one) is never uploaded over nor deleted.
"""

from __future__ import annotations

import html

MARKER = "[managed by azkaban-seeder]"


def with_marker(description: str) -> str:
    """The description to create a project with: `description` + `MARKER` (once)."""
    text = description.strip()
    if MARKER in text:
        return text
    return f"{text} {MARKER}" if text else f"azkaban-seeder test project {MARKER}"


def foreign_reason(project_page: str) -> str | None:
    """None if the project page shows our marker in the description, else why it is foreign."""
    if MARKER in html.unescape(project_page):
        return None
    return f"its description does not carry the azkaban-seeder marker {MARKER!r}"
