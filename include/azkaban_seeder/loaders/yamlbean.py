"""Binding a `.flow` YAML document to Azkaban's `NodeBean` (SnakeYAML `loadAs`).

Works on the composed node graph rather than Python values so that scalars keep their exact
text ("1.50" stays "1.50"), as SnakeYAML does when it coerces them into String fields.
Messages are close to SnakeYAML's, not byte-identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

NULL_TAG = "tag:yaml.org,2002:null"
BEAN_CLASS = "azkaban.project.NodeBean"
TRIGGER_CLASS = "azkaban.project.FlowTriggerBean"
DEPENDENCY_CLASS = "azkaban.project.TriggerDependencyBean"

try:  # libyaml's composer is several times faster; fall back to pure Python.
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


class BindError(Exception):
    """The document does not fit the bean; str() is the message the server would show."""


@dataclass
class TriggerDependency:
    name: str | None = None
    type: str | None = None
    params: dict[str, str | None] | None = None


@dataclass
class TriggerBean:
    schedule: dict[str, str | None] | None = None
    dependencies: list[TriggerDependency] = field(default_factory=list)
    max_wait_mins: int | None = None


@dataclass
class NodeBean:
    name: str | None = None
    type: str | None = None
    config: dict[str, str | None] | None = None
    depends_on: list[str | None] | None = None
    condition: str | None = None
    nodes: list[NodeBean] | None = None
    trigger: TriggerBean | None = None


def compose(data: bytes) -> yaml.Node | None:
    """Compose one YAML document (None for an empty file); raises BindError on bad YAML."""
    try:
        return yaml.compose(data, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise BindError(str(exc)) from exc


def _kind(node: yaml.Node) -> str:
    return type(node).__name__.removesuffix("Node").lower()


def scalar(node: yaml.Node, what: str) -> str | None:
    """A scalar coerced to String (null stays None); anything else cannot be a String."""
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == NULL_TAG else str(node.value)
    raise BindError(f"Cannot create property={what}: expected a scalar, found {_kind(node)}")


def _string_map(node: yaml.Node, what: str) -> dict[str, str | None] | None:
    if isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG:
        return None
    if not isinstance(node, yaml.MappingNode):
        raise BindError(f"Cannot create property={what}: expected a map, found {_kind(node)}")
    result: dict[str, str | None] = {}
    for key_node, value_node in node.value:
        key = scalar(key_node, what)
        result["null" if key is None else key] = scalar(value_node, what)
    return result


def _string_list(node: yaml.Node, what: str) -> list[str | None] | None:
    if isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG:
        return None
    if not isinstance(node, yaml.SequenceNode):
        raise BindError(f"Cannot create property={what}: expected a list, found {_kind(node)}")
    return [scalar(item, what) for item in node.value]


def _mapping_items(node: yaml.Node, cls: str) -> list[tuple[str, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise BindError(f"No single argument constructor found for class {cls}")
    items = []
    for key_node, value_node in node.value:
        key = scalar(key_node, "key")
        items.append(("null" if key is None else key, value_node))
    return items


def _bind_dependency(node: yaml.Node) -> TriggerDependency:
    dep = TriggerDependency()
    for key, value in _mapping_items(node, DEPENDENCY_CLASS):
        if key in ("name", "type"):
            setattr(dep, key, scalar(value, key))
        elif key == "params":
            dep.params = _string_map(value, key)
        else:
            raise BindError(f"Unable to find property '{key}' on class: {DEPENDENCY_CLASS}")
    return dep


def _bind_trigger(node: yaml.Node) -> TriggerBean | None:
    if isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG:
        return None
    trigger = TriggerBean()
    for key, value in _mapping_items(node, TRIGGER_CLASS):
        if key == "schedule":
            trigger.schedule = _string_map(value, key)
        elif key == "triggerDependencies":
            if isinstance(value, yaml.SequenceNode):
                trigger.dependencies = [_bind_dependency(item) for item in value.value]
            elif not (isinstance(value, yaml.ScalarNode) and value.tag == NULL_TAG):
                raise BindError("Cannot create property=triggerDependencies: expected a list")
        elif key == "maxWaitMins":
            text = scalar(value, key)
            try:
                trigger.max_wait_mins = None if text is None else int(text)
            except ValueError as exc:
                raise BindError(f'For input string: "{text}"') from exc
        else:
            raise BindError(f"Unable to find property '{key}' on class: {TRIGGER_CLASS}")
    return trigger


def _bind_nodes(node: yaml.Node) -> list[NodeBean] | None:
    if isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG:
        return None
    if not isinstance(node, yaml.SequenceNode):
        raise BindError(f"Cannot create property=nodes: expected a list, found {_kind(node)}")
    return [bind_bean(item) for item in node.value]


def bind_bean(node: yaml.Node) -> NodeBean:
    """Bind a mapping node to a NodeBean; unknown keys fail like SnakeYAML's JavaBean binding."""
    bean = NodeBean()
    for key, value in _mapping_items(node, BEAN_CLASS):
        if key in ("name", "type", "condition"):
            setattr(bean, key, scalar(value, key))
        elif key == "config":
            bean.config = _string_map(value, key)
        elif key == "dependsOn":
            bean.depends_on = _string_list(value, key)
        elif key == "nodes":
            bean.nodes = _bind_nodes(value)
        elif key == "trigger":
            bean.trigger = _bind_trigger(value)
        else:
            raise BindError(f"Unable to find property '{key}' on class: {BEAN_CLASS}")
    return bean
