"""The house rules of tflx's layout, checked on the source (no imports run):

  (a) only the command-line front ends (`tflx.cli.*`) import `tflx.cli` -- library code never
      does, not even inside a function;
  (b) the module-level import graph among tflx's modules (python/tflx, passes/ as tflx.passes,
      dialects/ as tflx.dialects) has no cycle;
  (c) every package is named in pyproject.toml (else the wheel lacks it).

Imports inside functions are lazy on purpose (TensorFlow and litert-converter cost seconds), so
(b) does not count them; `if TYPE_CHECKING:` blocks do not import at all.
"""
from __future__ import annotations

import ast
import os

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# package name -> its directory (pyproject.toml's package-dir)
ROOTS = {"tflx": "python/tflx", "tflx.passes": "passes", "tflx.dialects": "dialects"}


def _modules() -> dict[str, tuple[str, bool]]:
    """Module name -> (path, is a package __init__)."""
    out = {}
    for pkg, rel in ROOTS.items():
        base = os.path.join(REPO, rel)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
            sub = os.path.relpath(dirpath, base)
            parts = [] if sub == "." else sub.split(os.sep)
            if not os.path.exists(os.path.join(dirpath, "__init__.py")):
                dirnames[:] = []
                continue
            for fn in sorted(filenames):
                if fn.endswith(".py"):
                    name = ".".join([pkg] + parts + ([] if fn == "__init__.py" else [fn[:-3]]))
                    out[name] = (os.path.join(dirpath, fn), fn == "__init__.py")
    return out


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or \
        (isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(name: str, path: str, is_pkg: bool):
    """(imported module name, line, at module level?) for every import statement of a module;
    `from P import x` names P.x when that is a module, else P."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    package = name if is_pkg else name.rpartition(".")[0]
    found = []

    def visit(node, top: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, False)
                continue
            if isinstance(child, ast.Import):
                found.extend((a.name, child.lineno, top) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    parts = package.split(".")
                    parts = parts[:len(parts) - (child.level - 1)]
                    base = ".".join(parts + ([child.module] if child.module else []))
                else:
                    base = child.module or ""
                for a in child.names:
                    sub = f"{base}.{a.name}"
                    found.append((sub if sub in MODULES else base, child.lineno, top))
            visit(child, top)

    visit(tree, True)
    return found


def _known(target: str) -> str | None:
    """The tflx module an import names (the nearest enclosing one that exists)."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def _is_cli(mod: str) -> bool:
    return mod == "tflx.cli" or mod.startswith("tflx.cli.")


def test_the_source_tree_is_found():
    for must in ("tflx", "tflx.cli", "tflx.cli.main", "tflx.passes", "tflx.dialects", "tflx.pipeline"):
        assert must in MODULES, must


def test_library_modules_do_not_import_the_cli():
    bad = []
    for name, (path, is_pkg) in sorted(MODULES.items()):
        if _is_cli(name):
            continue
        for target, line, _ in _imports(name, path, is_pkg):
            if _is_cli(target):
                bad.append(f"{os.path.relpath(path, REPO)}:{line}: {name} imports {target}")
    assert not bad, "library code imports the command-line front ends (move what it needs out of " \
                    "tflx.cli, e.g. to tflx.nativeio):\n  " + "\n  ".join(bad)


def _module_level_graph() -> dict[str, dict[str, int]]:
    graph: dict[str, dict[str, int]] = {}
    for name, (path, is_pkg) in MODULES.items():
        edges = graph.setdefault(name, {})
        for target, line, top in _imports(name, path, is_pkg):
            mod = _known(target) if target.startswith("tflx") else None
            if top and mod is not None and mod != name:
                edges.setdefault(mod, line)
    return graph


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b": 1}, "b": {}}) == []


def test_no_import_cycle_at_module_level():
    graph = _module_level_graph()
    cycles = _cycles(graph)
    lines = []
    for comp in cycles:
        members = set(comp)
        lines.append(" <-> ".join(comp))
        for a in comp:
            for b, line in sorted(graph[a].items()):
                if b in members:
                    lines.append(f"    {a} -> {b} ({os.path.relpath(MODULES[a][0], REPO)}:{line})")
    assert not cycles, "module-level import cycles among tflx's modules:\n" + "\n".join(lines)


@pytest.mark.parametrize("module", ["tflx.custom_op", "tflx.opt_driver"])
def test_split_packages_keep_their_public_names(module):
    """Importers of these packages (single modules once) find the names they use in the package."""
    path, _ = MODULES[module]
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    want = {"tflx.custom_op": {"custom_op", "CustomOp", "AttrSpec", "declared", "custom_ops_in",
                               "set_custom_op_versions", "has_composites", "read_back_with_composites",
                               "encode_options", "decode_options", "Pattern"},
            "tflx.opt_driver": {"Runner", "DiagnosticCollector", "PipelineFailure", "PrintOptions", "Leaf",
                                "parse_pipeline", "leaves_from_specs", "resolve", "split_input",
                                "parse_expectations", "check_expectations", "Chunk", "Diag",
                                "diags_from_mlir_error", "_loc_line_col"}}[module]
    assert want <= names, sorted(want - names)


def test_every_package_is_installed():
    """pyproject.toml lists packages by name: a new sub-package missing there works in an editable
    install and is absent from the wheel."""
    import tomllib
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        listed = set(tomllib.load(f)["tool"]["setuptools"]["packages"])
    packages = {name for name, (_, is_pkg) in MODULES.items() if is_pkg}
    assert packages <= listed, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(packages - listed)}"
