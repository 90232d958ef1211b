"""Runs this directory's pytest tests for `meson test`; exit 77 (SKIP) when pytest is missing.

The check is made when the test runs, not when meson configures, so installing
python3-pytest later needs no reconfigure.
"""

import sys
from pathlib import Path

try:
    import pytest
except ImportError:
    print("SKIP: no pytest for", sys.executable, "(apt-get install python3-pytest)")
    sys.exit(77)

sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "-rs", str(Path(__file__).resolve().parent)]))
