"""In-memory project zips for sandbox tests (Flow 1.0 `.job` files, Flow 2.0 `.flow` YAML)."""

from __future__ import annotations

import io
import zipfile


def zip_bytes(files: dict[str, str | bytes]) -> bytes:
    """A zip holding `files` (path -> content)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


def job(type_: str = "command", command: str = "echo hi", deps: tuple[str, ...] = ()) -> str:
    """The text of a Flow 1.0 `.job` file."""
    text = f"type={type_}\ncommand={command}\n"
    if deps:
        text += "dependencies=" + ",".join(deps) + "\n"
    return text


def flow1_zip(jobs: dict[str, str]) -> bytes:
    """Flow 1.0 project: {job name: .job text}."""
    return zip_bytes({f"{name}.job": text for name, text in jobs.items()})


def chain_flows(count: int, jobs_per_flow: int = 2, prefix: str = "f") -> bytes:
    """Flow 1.0 project with `count` independent chains; flow ids `<prefix>NNNN`."""
    jobs: dict[str, str] = {}
    for i in range(count):
        names = [f"{prefix}{i:04d}_j{k}" for k in range(jobs_per_flow - 1)] + [f"{prefix}{i:04d}"]
        for k, name in enumerate(names):
            jobs[name] = job(deps=(names[k - 1],) if k else ())
    return flow1_zip(jobs)


def flow2_zip(flows: dict[str, str]) -> bytes:
    """Flow 2.0 project: {flow name: YAML text} plus the `.project` file."""
    files: dict[str, str | bytes] = {"p.project": "azkaban-flow-version: 2.0\n"}
    files.update({f"{name}.flow": text for name, text in flows.items()})
    return zip_bytes(files)


def flow2_chain(count: int, prefix: str = "g") -> bytes:
    """Flow 2.0 project with `count` flows of two jobs each."""
    flows = {
        f"{prefix}{i:04d}": (
            "nodes:\n"
            "  - name: a\n    type: command\n    config:\n      command: echo a\n"
            "  - name: b\n    type: command\n    dependsOn: [a]\n"
            "    config:\n      command: echo b\n"
        )
        for i in range(count)
    }
    return flow2_zip(flows)


EMBEDDED_FLOW = """\
config:
  failure.emails: ops@example.com
nodes:
  - name: start
    type: command
    config:
      command: echo start
  - name: inner
    type: flow
    dependsOn: [start]
    nodes:
      - name: x
        type: command
        config:
          command: echo x
      - name: y
        type: command
        dependsOn: [x]
        config:
          command: echo y
  - name: end
    type: command
    dependsOn: [inner]
    config:
      command: echo end
"""
