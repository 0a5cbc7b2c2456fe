"""Flow 2.0 layout: ``<project>.project`` plus one ``<flow_id>.flow`` YAML file per flow.

The YAML is written as text, not through ``yaml.dump`` (an order of magnitude faster and
byte-stable across PyYAML versions). Strings go out as JSON double-quoted scalars (a subset of
YAML's double-quoted style), UTF-8 encoded, with the characters YAML does not allow raw or would
read as line breaks escaped, so YAML reads every string back unchanged.
"""

from __future__ import annotations

import json

from azkaban_seeder.flows.model import Flow

PROJECT_FILE_TEXT = "azkaban-flow-version: 2.0\n"


def _yaml_printable(ch: str) -> bool:
    # YAML 1.1 printable set, minus NEL/LS/PS (line breaks inside quotes) and the BOM.
    code = ord(ch)
    if code < 0x7F:
        return True  # json.dumps already escaped everything below 0x20
    if code in (0x85, 0x2028, 0x2029, 0xFEFF):
        return False
    return 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000


def _escape(ch: str) -> str:
    return ch if _yaml_printable(ch) else f"\\u{ord(ch):04x}"


def yaml_quote(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (valid JSON too)."""
    quoted = json.dumps(text, ensure_ascii=False)
    if quoted.isascii() and "\x7f" not in quoted:
        return quoted
    return "".join(_escape(ch) for ch in quoted)


def project_file_name(project: str) -> str:
    return f"{project}.project"


def flow_file_name(flow: Flow) -> str:
    return f"{flow.flow_id}.flow"


def flow_yaml_text(flow: Flow) -> str:
    """The ``.flow`` document: ``nodes:`` with name, type, config.command and dependsOn."""
    lines = ["nodes:"]
    for job in flow.jobs:
        lines.append(f"  - name: {yaml_quote(job.name)}")
        lines.append(f"    type: {yaml_quote(job.type)}")
        lines.append("    config:")
        lines.append(f"      command: {yaml_quote(job.command)}")
        if job.dependencies:
            lines.append("    dependsOn:")
            lines.extend(f"      - {yaml_quote(dep)}" for dep in job.dependencies)
    return "\n".join(lines) + "\n"
