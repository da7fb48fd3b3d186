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

# Compiling is part of many property examples (first calls take 0.1-0.3 s), so
# no example has a deadline; a slow CI machine must not turn that into failures.
try:
    from hypothesis import settings
except ImportError:     # the test extra is not installed: non-property tests still run
    pass
else:
    settings.register_profile("jaxlite", deadline=None)
    settings.load_profile("jaxlite")


import pytest  # noqa: E402  (after the sys.path set-up above)

import helpers  # noqa: E402


@pytest.fixture(autouse=True)
def _restart_data_rng():
    helpers.restart_data_rng()
