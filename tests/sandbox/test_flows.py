"""Flow listing and graphs under /manager (reference 4.3, 4.4) and Jetty 500s for missing params."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conformance import unique
from sandbox_client import Az, SandboxLike
from sandbox_zips import EMBEDDED_FLOW, flow1_zip, flow2_zip, job


@pytest.fixture
def graph(az: Az) -> str:
    """A project with a diamond flow `d` (a -> b, c -> d) and a one-job flow `solo`."""
    return _diamond(az)


def _diamond(az: Az) -> str:
    name = unique("graph")
    az.create(name)
    jobs = {
        "d": job(deps=("b", "c")),
        "b": job(deps=("a",)),
        "c": job(deps=("a",)),
        "a": job(),
        "solo": job(type_="noop"),
    }
    assert az.upload(name, flow1_zip(jobs)).status_code == 200
    return name


def test_fetchprojectflows_shape(az: Az, graph: str) -> None:
    reply = az.get("/manager", ajax="fetchprojectflows", project=graph.upper()).json()
    assert reply["project"] == graph.upper()  # echoes the requested spelling
    assert reply["projectId"] == az.project_id(graph)
    assert sorted(f["flowId"] for f in reply["flows"]) == ["d", "solo"]


def test_fetchflowgraph_nodes_sorted_with_in(az: Az, graph: str) -> None:
    reply = az.get("/manager", ajax="fetchflowgraph", project=graph, flow="d").json()
    assert reply["flow"] == "d"
    assert reply["nodes"] == [
        {"id": "a", "type": "command"},
        {"id": "b", "type": "command", "in": ["a"]},
        {"id": "c", "type": "command", "in": ["a"]},
        {"id": "d", "type": "command", "in": ["b", "c"]},
    ]


def test_fetchflowgraph_missing_flow(az: Az, graph: str) -> None:
    reply = az.get("/manager", ajax="fetchflowgraph", project=graph, flow="zz").json()
    assert reply["error"] == f"Flow zz not found in project {graph}"


def test_fetchflowgraph_nests_embedded_flow20(az: Az) -> None:
    name = unique("nest")
    az.create(name)
    az.upload(name, flow2_zip({"main": EMBEDDED_FLOW}))
    reply = az.get("/manager", ajax="fetchflowgraph", project=name, flow="main").json()
    ids = [n["id"] for n in reply["nodes"]]
    assert ids == sorted(ids) == ["end", "inner", "start"]
    inner = reply["nodes"][1]
    assert inner["type"] == "flow"
    assert inner["flowId"] == inner["flow"] == "main:inner"
    assert inner["in"] == ["start"]
    assert inner["nodes"] == [
        {"id": "x", "type": "command"},
        {"id": "y", "type": "command", "in": ["x"]},
    ]
    # the embedded flow is addressable on its own
    sub = az.get("/manager", ajax="fetchflowgraph", project=name, flow="main:inner").json()
    assert [n["id"] for n in sub["nodes"]] == ["x", "y"]


def test_fetchflowjobs_levels_and_edges(az: Az, graph: str) -> None:
    reply = az.get("/manager", ajax="fetchflowjobs", project=graph, flow="d").json()
    assert reply["flowId"] == "d"
    by_id = {n["id"]: n for n in reply["nodes"]}
    assert by_id["a"]["level"] == 0 and by_id["d"]["level"] == 2
    assert by_id["a"]["dependents"] == ["b", "c"]
    assert sorted(by_id["d"]["dependencies"]) == ["b", "c"]


def test_fetchflowjobs_missing_flow_is_500(az: Az, graph: str) -> None:
    reply = az.get("/manager", ajax="fetchflowjobs", project=graph, flow="zz")
    assert reply.status_code == 500


def test_get_project_id_and_unknown_ajax(az: Az, graph: str) -> None:
    project_id = az.project_id(graph)
    assert az.get("/manager", ajax="getProjectId", project=graph).json() == {
        "project": graph,
        "projectId": project_id,
    }
    assert az.get("/manager", ajax="bogus", project=graph).json() == {
        "project": graph,
        "projectId": project_id,
        "error": "Cannot execute command bogus",
    }


def test_missing_required_parameter_is_jetty_500_html(az: Az, graph: str) -> None:
    reply = az.get("/manager", ajax="fetchFlowExecutions", project=graph, flow="d", length="5")
    assert reply.status_code == 500
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "HTTP ERROR 500" in reply.text
    assert "<pre>    Missing required parameter 'start'.</pre>" in reply.text


def test_manager_get_ajax_without_project_is_html_and_post_is_500(az: Az) -> None:
    get = az.get("/manager", ajax="fetchprojectflows")
    assert get.status_code == 200
    assert get.headers["Content-Type"].startswith("text/html")
    post = az.post("/manager", ajax="fetchprojectflows")
    assert post.status_code == 500
    assert "Missing required parameter" in post.text


@pytest.mark.sandbox_only("needs a user without permissions made by the sandbox config")
def test_permission_denied_needs_read(sandbox_factory: Callable[..., SandboxLike]) -> None:
    sb = sandbox_factory(users={"azkaban": "azkaban", "nobody": "n"}, user_roles={"nobody": ()})
    admin, nobody = Az(sb.url), Az(sb.url)
    admin.login()
    nobody.login("nobody", "n")
    name = _diamond(admin)
    reply = nobody.get("/manager", ajax="fetchprojectflows", project=name).json()
    assert reply == {
        "project": name,
        "projectId": 1,
        "error": "Permission denied. Need READ access.",
    }


def test_unknown_path_is_404(az: Az) -> None:
    assert az.get("/nowhere").status_code == 404
