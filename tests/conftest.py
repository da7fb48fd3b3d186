"""Make the checkout's packages importable in every test, whatever the install.

An editable install made before ``compiler/`` existed maps only ``jaxlite``;
without this, ``jit`` would silently fall back to evaluating the jaxpr in
some test runs and use the compiler in others (depending on which test
module happened to import it first).
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
