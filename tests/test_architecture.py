"""The package's shape: stage folders import only lower stages, no import cycle, Milvus without the index-directory
code, and the API app on the public API and the settings alone."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = PROJECT_ROOT / "retriever"

STAGES = [
    {"errors", "package_data"},
    {"reading"},
    {"config"},
    {"model"},
    {"query"},
    {"indexes"},
    {"ranking"},
    {"answers"},
    {"evaluation"},
    {"facade"},
    {"cli"},
]
"""Lowest first: a module may import its own stage and those before it."""

INDEX_DIRECTORY_CODE = {
    "retriever.indexes.build",
    "retriever.indexes.store",
    "retriever.indexes.embedded",
    "retriever.indexes.dense",
    "retriever.indexes.lexical",
    "retriever.indexes.passage_store",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def _is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(path: Path, module_level_only: bool) -> Iterator[str]:
    """The modules ``path`` imports (``from a import b`` counts as ``a``), leaving out type-checking-only ones."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = [node for node in tree.body if not _is_type_checking(node)]
    if not module_level_only:
        nodes = [inner for node in nodes for inner in ast.walk(node)]
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def stage_of(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "retriever" or len(parts) < 2:
        return None
    return next(rank for rank, stage in enumerate(STAGES) if parts[1] in stage)


def test_every_module_belongs_to_a_stage():
    unplaced = [name for name in package_modules() if name != "retriever" and stage_of(name) is None]
    assert unplaced == []


def test_stages_import_only_lower_stages():
    upward = [
        f"{name} → {target}"
        for name, path in package_modules().items()
        if name != "retriever"
        for target in imports(path, module_level_only=False)
        if (rank := stage_of(target)) is not None and rank > stage_of(name)
    ]
    assert upward == []


def test_no_import_cycle_at_module_level():
    modules = package_modules()
    graph = {
        name: {target for target in imports(path, module_level_only=True) if target in modules}
        for name, path in modules.items()
    }
    state: dict[str, str] = {}
    cycles: list[str] = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                cycles.append(" → ".join([*trail[trail.index(target) :], target]) if target in trail else target)
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_milvus_needs_neither_faiss_nor_the_index_directory_code():
    modules = package_modules()
    reached: set[str] = set()
    pending = [name for name in modules if name.startswith("retriever.indexes.milvus")]
    while pending:
        name = pending.pop()
        if name in reached:
            continue
        reached.add(name)
        for target in imports(modules[name], module_level_only=False):
            if target in modules:
                pending.append(target)
            elif target.split(".")[0] == "faiss":
                reached.add("faiss")
    assert reached & (INDEX_DIRECTORY_CODE | {"faiss"}) == set()


def test_the_api_app_uses_the_public_api_and_the_settings_only():
    reaching_in = [
        f"{path.relative_to(PROJECT_ROOT)}: {target}"
        for path in (PROJECT_ROOT / "api").rglob("*.py")
        for target in imports(path, module_level_only=False)
        if target.startswith("retriever.") and target != "retriever.config"
    ]
    assert reaching_in == []


COMPONENT_BENCHMARKS = {
    "bench.py": "its floor times the FAISS and BM25 indexes alone, its build the seam on CMRC paragraphs",
    "bench_backends.py": "times Milvus Lite's start apart from the build",
    "bench_scale.py": "times the BM25 stage alone and the index load",
    "bench_passage_encoders.py": "compares passage encoders",
    "scale_corpus.py": "generates text with the segmenter",
}
"""Scripts that measure or drive one internal part, and why they reach past the public API."""


def test_scripts_use_the_public_api_the_command_and_the_settings_only():
    allowed = {"retriever", "retriever.cli", "retriever.config"}
    scripts = sorted((PROJECT_ROOT / "scripts").glob("*.py"))
    assert set(COMPONENT_BENCHMARKS) <= {path.name for path in scripts}
    reaching_in = [
        f"{path.name}: {target}"
        for path in scripts
        if path.name not in COMPONENT_BENCHMARKS
        for target in imports(path, module_level_only=False)
        if target.startswith("retriever") and target not in allowed
    ]
    assert reaching_in == []
