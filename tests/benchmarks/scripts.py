"""Load a benchmark script (a file under benchmarks/, not an installed module) for its tests."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def load_script(relative_path: str) -> ModuleType:
    """The module in ``benchmarks/<relative_path>``, registered in sys.modules under its stem.

    Registered because dataclasses look their module up there while the file runs.
    """
    path = ROOT / "benchmarks" / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
