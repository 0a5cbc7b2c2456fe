"""Flow 1.0 layout: one Java-properties ``<job>.job`` file per job, flat at the zip root.

Azkaban's Flow 1.0 loader names each job after its file and each flow after its root job, and
requires job names to be unique across the zip; our job names embed the (globally unique) flow
id, so a flat layout is safe and keeps entries in sorted order flow after flow.
"""

from __future__ import annotations

from azkaban_seeder.flows.model import Flow, Job


def escape_property_value(value: str) -> str:
    """Escape ``value`` for a Java ``.properties`` value (read as ISO-8859-1).

    Backslashes double, a leading space is escaped (Java strips leading whitespace),
    and everything outside printable ASCII becomes ``\\uXXXX`` (UTF-16 units).
    """
    out = value.replace("\\", "\\\\")
    if out.startswith(" "):
        out = "\\" + out
    if out.isascii():
        return out
    chars = []
    for ch in out:
        if ord(ch) < 0x80:
            chars.append(ch)
            continue
        encoded = ch.encode("utf-16-be")
        for i in range(0, len(encoded), 2):
            chars.append(f"\\u{int.from_bytes(encoded[i : i + 2], 'big'):04x}")
    return "".join(chars)


def job_file_text(job: Job) -> str:
    lines = [f"type={job.type}", f"command={escape_property_value(job.command)}"]
    if job.dependencies:
        lines.append(f"dependencies={','.join(job.dependencies)}")
    return "\n".join(lines) + "\n"


def flow1_entries(flow: Flow) -> list[tuple[str, bytes]]:
    """The ``(file name, bytes)`` entries of one flow, sorted by file name."""
    return sorted((f"{job.name}.job", job_file_text(job).encode("ascii")) for job in flow.jobs)
