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
import re

MARKER = "[managed by azkaban-seeder]"


def with_marker(description: str) -> str:
    """The description to create a project with: `description` + `MARKER` (once)."""
    text = description.strip()
    if MARKER in text:
        return text
    return f"{text} {MARKER}" if text else f"azkaban-seeder test project {MARKER}"


# projectpagesidebar / projectsidebar.vm: ``<p class="editable" id="project-description">``.
_DESCRIPTION = re.compile(
    r"""<p\b[^>]*\bid=["']project-description["'][^>]*>(.*?)</p>""", re.DOTALL | re.IGNORECASE
)


def description_of(project_page: str) -> str | None:
    """The text of the page's description element (HTML entities decoded), None if absent."""
    match = _DESCRIPTION.search(project_page)
    return html.unescape(match.group(1)).strip() if match else None


def foreign_reason(project_page: str) -> str | None:
    """None if the description element carries our marker, else why the project is foreign.

    Only that element counts: a flow or job named after the marker also shows on the page."""
    description = description_of(project_page)
    if description is None:
        return "its project page shows no description element (cannot tell who made it)"
    if MARKER in description:
        return None
    return f"its description does not carry the azkaban-seeder marker {MARKER!r}"
