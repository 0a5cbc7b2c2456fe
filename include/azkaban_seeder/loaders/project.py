"""Entry points: load a project zip or directory the way `POST /manager` (ajax=upload) does.

Loader choice follows Azkaban's `FlowLoaderFactory.createFlowLoader`: a `*.project` file in
the root directory (else the first sub-directory, depth first, that has one) must declare
`azkaban-flow-version: 2.0` and selects Flow 2.0 for the whole tree; no `*.project` anywhere
selects Flow 1.0. Problems with the `.project` file are install errors.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

from azkaban_seeder.loaders.archive import (
    ProjectDir,
    read_dir_tree,
    read_zip_tree,
    tree_from_entries,
    write_tree,
)
from azkaban_seeder.loaders.flow1 import load_flow1
from azkaban_seeder.loaders.model import InstallError, LoadResult

logger = logging.getLogger(__name__)

PROJECT_SUFFIX = ".project"
FLOW_VERSION_KEY = "azkaban-flow-version"


def _check_project_file(data: bytes) -> None:
    import yaml  # only Flow 2.0 projects need it (see `load_tree`)

    try:
        document = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise InstallError(f"Error reading project YAML file.<br>{exc}") from exc
    if not isinstance(document, dict) or FLOW_VERSION_KEY not in document:
        raise InstallError("azkaban-flow-version is not specified in the project YAML file.")
    value = document[FLOW_VERSION_KEY]
    # Java compares with Double 2.0: YAML `2.0` matches; `2`, "2.0" and `1.0` do not.
    if not (isinstance(value, float) and value == 2.0):
        raise InstallError("Invalid azkaban-flow-version in the project YAML file.")


def is_flow2(directory: ProjectDir) -> bool:
    """`checkForValidProjectYamlFile`: True for Flow 2.0; raises InstallError on bad files."""
    project_files = directory.matching_files(PROJECT_SUFFIX)
    if len(project_files) > 1:
        raise InstallError(
            "Duplicate project YAML files found in the project directory. Only one is allowed."
        )
    if project_files:
        _check_project_file(project_files[0][1])
        return True
    return any(is_flow2(sub) for sub in directory.sorted_dirs())


def load_tree(tree: ProjectDir) -> LoadResult:
    """Pick the loader for an unpacked project and run it.

    The Flow 2.0 loader (and YAML) is imported on first use: pool workers preload the
    Flow 1.0 path, and a Flow 1.0 run never needs either."""
    if is_flow2(tree):
        from azkaban_seeder.loaders.flow2 import load_flow2

        result = load_flow2(tree)
    else:
        result = load_flow1(tree)
    logger.debug(
        "loaded Flow %s project: %d flows, %d errors",
        result.flow_format,
        len(result.flows),
        len(result.errors),
    )
    return result


def load_project_zip(
    data: bytes | os.PathLike[str] | str, *, workdir: Path | None = None
) -> LoadResult:
    """Load a project zip as the upload endpoint (`POST /manager`, ajax=upload) does.

    `data` is the zip's bytes or a path to it. The archive is checked and read in memory; when
    `workdir` is given the unpacked files are also written below it (the caller owns it).
    Raises InstallError for "Error unzipping file." and `.project` problems.
    """
    tree = read_zip_tree(data)
    if workdir is not None:
        write_tree(tree, workdir)
    return load_tree(tree)


def load_project_entries(entries: Iterable[tuple[str, bytes]]) -> LoadResult:
    """Load the ``(name, bytes)`` entries of a zip as if it had been unzipped (same rules as
    `load_project_zip`, without reading an archive)."""
    return load_tree(tree_from_entries(entries))


def load_project_dir(path: Path) -> LoadResult:
    """Load an already unpacked project directory (same rules as `load_project_zip`)."""
    return load_tree(read_dir_tree(path))
