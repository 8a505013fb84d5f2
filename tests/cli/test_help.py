"""Every command answers --help with its usage and exits 0."""

from __future__ import annotations

import importlib

import pytest

COMMANDS = [
    "train",
    "recognize",
    "data",
    "synth",
    "quantize",
    "export",
    "segment",
    "calibrate",
    "language_model",
    "fetch_fonts",
]


@pytest.mark.parametrize("name", COMMANDS)
def test_help_prints_usage_and_exits_zero(name, capsys):
    module = importlib.import_module(f"mltu_ext.cli.{name}")
    with pytest.raises(SystemExit) as stop:
        module.get_args(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage:") and len(out.splitlines()) > 5
