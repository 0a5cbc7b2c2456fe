"""Flow 2.0 loading: one flow per `.flow` YAML file (Azkaban `DirectoryYamlFlowLoader`).

Used for `POST /manager` (ajax=upload) when a valid `*.project` file declares
`azkaban-flow-version: 2.0`. Nodes of `type: flow` become embedded flows `<parent>:<node>`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from azkaban_seeder.loaders.archive import ProjectDir
from azkaban_seeder.loaders.conditions import validate_condition
from azkaban_seeder.loaders.cron import parse_quartz
from azkaban_seeder.loaders.memory import memory_errors
from azkaban_seeder.loaders.model import LoadedFlow, LoadedNode, LoadResult
from azkaban_seeder.loaders.yamlbean import (
    BindError,
    NodeBean,
    TriggerBean,
    TriggerDependency,
    bind_bean,
    compose,
)

logger = logging.getLogger(__name__)

FLOW_TYPE = "flow"
ROOT_NAME = "ROOT"
FLOW_SUFFIX = ".flow"
MIN_WAIT_MINS = 1
NULL_MESSAGE = "null"  # what Java prints for a NullPointerException's message


@dataclass
class _Node:
    """A checked node (Azkaban's AzkabanNode): children keyed by name, last one wins."""

    name: str
    type: str
    props: dict[str, str]
    condition: str | None
    depends_on: list[str]
    children: dict[str, _Node] | None = None
    order: list[str] = field(default_factory=list)


def _props(bean: NodeBean) -> dict[str, str]:
    props = {key: value for key, value in (bean.config or {}).items() if value is not None}
    if bean.type is not None:
        props["type"] = bean.type
    return props


def _check_schedule(schedule: dict[str, str | None] | None) -> None:
    if schedule is None:
        raise BindError("flow trigger schedule must not be null")
    if schedule.get("type") != "cron":
        raise BindError("flow trigger schedule type must be cron")
    value = schedule.get("value")
    try:
        parse_quartz(value or "")
    except ValueError as exc:
        raise BindError("flow trigger schedule value must be a valid cron expression") from exc
    if (value or "").split()[0] != "0":
        raise BindError("interval of flow trigger schedule has to be larger than 1 min")
    if len(schedule) != 2:
        raise BindError("flow trigger schedule must contain type and value only")


def _check_dependencies(deps: list[TriggerDependency]) -> None:
    for dep in deps:
        if dep.name is None:
            raise BindError("dependency name is required")
        if dep.type is None:
            raise BindError(f"dependency type is required for {dep.name}")
    names: set[str] = set()
    for dep in deps:
        if dep.name in names:
            raise BindError(
                f"duplicate dependency.name {dep.name} found, dependency.name should be unique"
            )
        names.add(dep.name or "")
    for i, dep in enumerate(deps):
        for other in deps[i + 1 :]:
            if dep.type == other.type and dep.params == other.params:
                raise BindError(
                    f"duplicate dependencyconfig {dep.name} found, "
                    "dependency config should be unique"
                )


def check_trigger(trigger: TriggerBean) -> None:
    """Flow-trigger rules (`NodeBeanLoader.validateFlowTriggerBean`); raises BindError."""
    _check_schedule(trigger.schedule)
    _check_dependencies(trigger.dependencies)
    if trigger.dependencies and trigger.max_wait_mins is None:
        raise BindError("max wait min cannot be null unless no dependency is defined")
    if trigger.max_wait_mins is not None and trigger.max_wait_mins < MIN_WAIT_MINS:
        raise BindError(f"max wait min must be at least {MIN_WAIT_MINS} min(s)")


def to_node(bean: NodeBean) -> _Node:
    """`NodeBeanLoader.toAzkabanNode`: missing type/name/nodes end as NullPointerException."""
    if bean.type is None:
        raise BindError(NULL_MESSAGE)
    depends_on = bean.depends_on or []
    if any(dep is None for dep in depends_on):
        raise BindError(NULL_MESSAGE)
    children: dict[str, _Node] | None = None
    order: list[str] = []
    if bean.type == FLOW_TYPE:
        if bean.nodes is None:
            raise BindError(NULL_MESSAGE)
        children = {}
        for child_bean in bean.nodes:
            child = to_node(child_bean)
            if child.name not in children:
                order.append(child.name)
            children[child.name] = child
        if bean.trigger is not None:
            check_trigger(bean.trigger)
    if bean.name is None:
        raise BindError(NULL_MESSAGE)
    return _Node(
        name=bean.name,
        type=bean.type,
        props=_props(bean),
        condition=bean.condition,
        depends_on=[dep for dep in depends_on if dep is not None],
        children=children,
        order=order,
    )


def validate_top_level(bean: NodeBean) -> bool:
    """`NodeBeanLoader.validate`: unique names, defined dependencies, no node named ROOT."""
    if bean.nodes is None:
        raise BindError(NULL_MESSAGE)
    names: set[str | None] = set()
    for node in bean.nodes:
        if node.name in names:
            return False
        names.add(node.name)
    for node in bean.nodes:
        if node.depends_on is not None and not set(node.depends_on) <= names:
            return False
    return ROOT_NAME not in names


def _depends_on(children: dict[str, _Node], start: str, target: str) -> bool:
    """Whether node `start` depends, directly or transitively, on `target`."""
    stack = [start]
    seen = {start}
    while stack:
        node = children.get(stack.pop())
        if node is None:
            continue
        if target in node.depends_on:
            return True
        for dep in node.depends_on:
            if dep not in seen:
                seen.add(dep)
                stack.append(dep)
    return False


class Flow2Loader:
    """State of one Flow 2.0 load; call `load(tree)` once."""

    def __init__(self) -> None:
        self.errors: set[str] = set()
        self.flows: dict[str, LoadedFlow] = {}
        self.job_props: dict[str, dict[str, str]] = {}
        self.flow_files = 0

    def load(self, tree: ProjectDir) -> LoadResult:
        """Load every `.flow` file of the tree and collect the "Directory Flow" errors."""
        self._load_dir(tree)
        for key in sorted(self.job_props):
            self.errors.update(memory_errors(key, self.job_props[key]))
        return LoadResult(
            flow_format="2.0",
            flows=dict(sorted(self.flows.items())),
            errors=sorted(self.errors),
            flow_files=self.flow_files,
        )

    def _load_dir(self, directory: ProjectDir) -> None:
        for file_name, data in directory.matching_files(FLOW_SUFFIX):
            self.flow_files += 1
            try:
                self._load_file(file_name, data)
            except BindError as exc:
                self.errors.add(f"Error loading flow yaml file {file_name}:{exc}")
        for sub in directory.sorted_dirs():
            self._load_dir(sub)

    def _load_file(self, file_name: str, data: bytes) -> None:
        document = compose(data)
        if document is None:
            raise BindError(f"Failed to load flow file {file_name}. Node bean is null .")
        bean = bind_bean(document)
        bean.name = file_name[: -len(FLOW_SUFFIX)]
        bean.type = FLOW_TYPE
        if not validate_top_level(bean):
            self.errors.add(
                f"Failed to validate nodeBean for {file_name}. Duplicate nodes found or "
                "dependency undefined or ROOT used as a name."
            )
            return
        root = to_node(bean)
        if root.name in self.flows:
            self.errors.add(f"Duplicate flows found in the project with name {root.name}")
            return
        converted: dict[str, LoadedFlow] = {}
        self._convert(root, root.name, embedded=False, out=converted)
        self.flows.update(converted)

    def _convert(
        self, flow: _Node, flow_id: str, *, embedded: bool, out: dict[str, LoadedFlow]
    ) -> None:
        """`convertAzkabanFlowToFlow`: nodes (and embedded flows) first, then edges."""
        children = flow.children or {}
        nodes: dict[str, LoadedNode] = {}
        for name in flow.order:
            child = children[name]
            self._check_condition(child, children)
            embedded_id = None
            if child.type == FLOW_TYPE:
                embedded_id = f"{flow_id}:{name}"
                self._convert(child, embedded_id, embedded=True, out=out)
            self.job_props[f"{flow_id}:{name}"] = child.props
            nodes[name] = LoadedNode(
                id=name,
                type=child.type,
                in_=sorted(set(child.depends_on)),
                condition=child.condition,
                embedded_flow_id=embedded_id,
                props=child.props,
            )
        self._check_edges(flow)
        out[flow_id] = LoadedFlow(
            flow_id=flow_id, embedded=embedded, nodes=dict(sorted(nodes.items())), props=flow.props
        )

    def _check_condition(self, node: _Node, children: dict[str, _Node]) -> None:
        if node.condition is None:
            return
        self.errors.update(
            validate_condition(
                node.name,
                node.condition,
                flavor="2.0",
                node_exists=children.__contains__,
                is_descendant=lambda job: _depends_on(children, job, node.name),
            )
        )

    def _check_edges(self, flow: _Node) -> None:
        """`buildFlowEdges`: DFS over dependsOn; a parent on the stack is a cycle.

        An undefined parent (possible only inside embedded flows, since the top level is
        validated first) is a NullPointerException on the server.
        """
        children = flow.children or {}
        visited: set[str] = set()
        for start in flow.order:
            if start in visited:
                continue
            on_stack = {start}
            visited.add(start)
            stack = [(start, iter(children[start].depends_on))]
            while stack:
                name, parents = stack[-1]
                for parent in parents:
                    if parent in on_stack:
                        self.errors.add(f"Cycles found at {parent}>>{name}")
                        continue
                    if parent in visited:
                        continue
                    if parent not in children:
                        raise BindError(NULL_MESSAGE)
                    on_stack.add(parent)
                    visited.add(parent)
                    stack.append((parent, iter(children[parent].depends_on)))
                    break
                else:
                    stack.pop()
                    on_stack.discard(name)


def load_flow2(tree: ProjectDir) -> LoadResult:
    """Load a Flow 2.0 project tree (the server's `DirectoryYamlFlowLoader.loadProjectFlow`)."""
    return Flow2Loader().load(tree)
