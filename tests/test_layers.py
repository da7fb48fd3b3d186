"""The import rule (docs/ARCHITECTURE.md): layers import only downward, no module
reads another's private names, and the public namespaces show only their API."""
import types

import jaxlite


def test_lax_namespace_is_the_api_only():
    lax = jaxlite.lax
    modules = [k for k in dir(lax) if isinstance(getattr(lax, k), types.ModuleType)]
    assert modules == ["linalg"]          # public, as jax.lax.linalg
    stray = {"np", "math", "core", "ad", "batching", "dtypes", "tree_util", "builtins",
             "ShapedArray", "Zero", "is_undef", "standard_primitive", "promote_weak",
             "normalize_axis", "check_dtype"}
    assert stray.isdisjoint(dir(lax))
    public = [k for k in dir(lax) if not k.startswith("_") and k not in modules]
    assert all(callable(getattr(lax, k)) or isinstance(getattr(lax, k), jaxlite.core.Primitive)
               for k in public)
    for name in ("add", "reduce_sum", "dot_general", "gather", "sort", "cond", "scan",
                 "add_p", "broadcast_in_dim_p"):
        assert name in public
    # The submodules stay importable by their full names.
    from jaxlite.lax import elementwise
    assert elementwise.add is lax.add


# ------------------------------------------------------------ the import rule

import ast  # noqa: E402
import pathlib  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

ROOT = pathlib.Path(jaxlite.__file__).parent

# Lowest first; a module may import its own layer and the layers below it.
LAYERS = [
    ("base", ["jaxlite._config", "jaxlite.util", "jaxlite.dtypes", "jaxlite.tree_util",
              "jaxlite.tree"]),
    ("core", ["jaxlite.core"]),
    ("ir", ["jaxlite.ir", "jaxlite.ir_dot"]),
    ("interpreters", ["jaxlite.interpreters"]),
    ("lax", ["jaxlite.lax", "jaxlite.callbacks"]),
    # The back end (folder compiler/, shipped as jaxlite.compiler): reached only by
    # jit_primitive's lazy import at the first compile.
    ("compiler", ["jaxlite.compiler"]),
    ("calls", ["jaxlite.custom_derivatives", "jaxlite.jit_primitive", "jaxlite.stages",
               "jaxlite.donation", "jaxlite.jit", "jaxlite.rematerialize",
               "jaxlite.ad_checkpoint"]),
    ("api", ["jaxlite.numpy_util", "jaxlite.numpy", "jaxlite.nn", "jaxlite.random",
             "jaxlite.debug", "jaxlite._api_extras", "jaxlite.api", "jaxlite.test_util",
             "jaxlite.flatten_util", "jaxlite.scipy", "jaxlite.experimental", "jaxlite.errors",
             "jaxlite.debugging", "jaxlite.example_libraries", "jaxlite.distributed",
             "jaxlite.ops", "jaxlite.typing"]),
]


def _layer(module):
    for i, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    raise AssertionError(f"{module} is in no layer: add it to LAYERS (and ARCHITECTURE.md)")


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        name = ".".join(("jaxlite",) + path.relative_to(ROOT).with_suffix("").parts)
        name = name.removesuffix(".__init__")
        if name != "jaxlite":
            yield name, path, ast.parse(path.read_text())


def _imports(tree):
    """(line, imported module, imported name or None) for every import, local ones too."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name, None
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                yield node.lineno, node.module, a.name


def test_layers_import_only_downward():
    upward = []
    for name, path, tree in _modules():
        mine = _layer(name)
        for line, module, item in _imports(tree):
            if not module.startswith("jaxlite"):
                continue
            target = f"{module}.{item}" if module == "jaxlite" else module
            if _layer(target) > mine:
                upward.append(f"{name}:{line} ({LAYERS[mine][0]}) imports {target} "
                              f"({LAYERS[_layer(target)][0]})")
    assert upward == []


def test_lax_and_the_interpreters_never_import_numpy_or_each_other_upward():
    for name, path, tree in _modules():
        targets = {m if m != "jaxlite" else f"jaxlite.{i}" for _, m, i in _imports(tree)}
        if name.startswith("jaxlite.lax"):
            assert not any(t.startswith("jaxlite.numpy") for t in targets), name
        if name.startswith("jaxlite.interpreters"):
            assert not any(t.startswith("jaxlite.lax") for t in targets), name


# A private module of another package read from outside it; its owner moves the
# shared helpers to a public module (as numpy_util was).
KNOWN_PRIVATE_READS = set()


def _package(name):
    return name.rsplit(".", 1)[0]


def test_no_module_reads_another_modules_private_names():
    reads = []
    for name, path, tree in _modules():
        bound = {}      # local name -> module it names
        for line, module, item in _imports(tree):
            if not module.startswith("jaxlite"):
                continue
            full = f"{module}.{item}" if item else module
            if item and item.startswith("_") and not item.startswith("__"):
                # A private module may be imported inside its own package only.
                is_module = (ROOT.parent / (full.replace(".", "/") + ".py")).exists()
                inside = is_module and _package(full) in (name, _package(name))
                if not inside and (name, full) not in KNOWN_PRIVATE_READS:
                    reads.append(f"{name}:{line} imports {full}")
            bound[item or module.split(".")[0]] = full
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in bound and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                reads.append(f"{name}:{node.lineno} reads {node.value.id}.{node.attr}")
    assert reads == []


# The function-local imports of the project's own modules that are truly needed,
# each with a comment saying why on the line above it.
ALLOWED_LOCAL_IMPORTS = {("jaxlite.jit_primitive", "jaxlite.compiler")}


def test_function_local_imports_are_the_needed_few():
    local = set()
    for name, path, tree in _modules():
        lines = path.read_text().splitlines()
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    module = node.module if isinstance(node, ast.ImportFrom) else \
                        node.names[0].name
                    if module.split(".")[0] == "jaxlite":
                        local.add((name, module))
                        assert lines[node.lineno - 2].strip().startswith("# why"), \
                            f"{name}:{node.lineno}: say why this import is local"
    assert local == ALLOWED_LOCAL_IMPORTS


def test_importing_jaxlite_does_not_import_the_compiler_or_llvmlite():
    code = ("import sys, jaxlite, jaxlite.numpy as jnp; jnp.sin(jnp.ones(3)); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('compiler', 'llvmlite', 'mpi4py') or m.startswith('jaxlite.compiler')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
