"""The distribution's package list: every package folder is shipped, and the
back end installs as jaxlite.compiler (never as a top-level "compiler")."""
import pathlib
import re

import jaxlite.compiler

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _declared():
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^packages = \[(.*?)\]", text, re.S | re.M).group(1)
    return set(re.findall(r'"([\w.]+)"', block))


def _on_disk():
    found = set()
    for top, name in (("jaxlite", "jaxlite"), ("compiler", "jaxlite.compiler")):
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top).parts
            found.add(".".join((name,) + rel))
    return found


def test_every_package_folder_is_declared():
    assert _declared() == _on_disk()


def test_compiler_is_a_subpackage_of_jaxlite():
    assert jaxlite.compiler.__name__ == "jaxlite.compiler"
    assert pathlib.Path(jaxlite.compiler.__file__).parent.name == "compiler"
    text = (ROOT / "pyproject.toml").read_text()
    assert '"jaxlite.compiler" = "compiler"' in text
