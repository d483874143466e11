"""The plugin boundary, held on the source: the core has no import cycle and imports no provider; a provider
imports from the core only its public surface (hookspecs, errors, models, plugin_api), except in its
management commands. Every import counts, including those inside functions."""

from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORE = "integrations_core"
PROVIDERS = ("xero_plugin", "plugins")
PUBLIC = ("integrations_core.hookspecs", "integrations_core.errors", "integrations_core.models",
          "integrations_core.plugin_api")


def _modules(package: str) -> dict[str, pathlib.Path]:
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: pathlib.Path, known: set[str]) -> set[str]:
    """The modules `name` imports (a `from package import module` counts as the module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                out.add(sub if sub in known else module)
    return out


def _graph(package: str) -> dict[str, set[str]]:
    modules = _modules(package)
    graph = {}
    for name, path in modules.items():
        deps = set()
        for target in _imports(name, path, set(modules)):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                deps.add(target)
        graph[name] = deps
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle, as the modules around it; [] when there is none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                return stack[stack.index(dep):] + [dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def _all_imports(package: str) -> dict[str, set[str]]:
    known = {name for other in (CORE, *PROVIDERS) for name in _modules(other)}
    return {name: _imports(name, path, known) for name, path in _modules(package).items()}


def test_the_core_has_no_import_cycle():
    assert _cycle(_graph(CORE)) == []


def test_the_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]


def test_the_core_imports_no_provider():
    offending = {name: sorted(i for i in imports if i.split(".")[0] in PROVIDERS)
                 for name, imports in _all_imports(CORE).items()}
    assert {name: found for name, found in offending.items() if found} == {}


def test_providers_import_only_the_cores_public_surface():
    offending = {}
    for package in PROVIDERS:
        for name, imports in _all_imports(package).items():
            if ".management.commands." in f"{name}.":
                continue  # a provider's commands may use the core's services
            private = sorted(i for i in imports if i.split(".")[0] == CORE
                             and not any(i == p or i.startswith(p + ".") for p in PUBLIC))
            if private:
                offending[name] = private
    assert offending == {}
