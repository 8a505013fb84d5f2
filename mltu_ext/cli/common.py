"""What every command shares: checked numeric option types, the TensorFlow environment, error exit.

Every command's ``main()`` goes through :func:`run_command`: the package's
errors (``MltuExtError``) print as one line ``error: <file>: <problem>`` and
exit 2, and so do the operating system's errors about a named file (a folder
that is a file, a full disk, no permission), which come from the paths a user
gave; anything else is a bug and keeps its traceback. A reader that closes the
command's output early (``| head -1``) ends it quietly with status 141, as it ends
``cat`` or ``ls``.
"""

from __future__ import annotations

import argparse
import os
import select
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from mltu_ext.errors import ConfigError, MltuExtError, OutputWriteError
from mltu_ext.io.os_errors import os_reason

# the status a shell reports for a command that SIGPIPE ended (128 + 13), as ``yes | head -1`` does
CLOSED_OUTPUT_STATUS = 141


def run_command(body: Callable[[], object]) -> int:
    """Call ``body``; its exit status (an int it returns, else 0), or 2 with one line on stderr."""
    try:
        result = body()
        sys.stdout.flush()  # within the try: a closed pipe then fails here, not at exit
    except BrokenPipeError:
        if not stdout_closed():  # a pipe of the command's own: a bug, keep its traceback
            raise
        discard_stdout()
        return CLOSED_OUTPUT_STATUS
    except MltuExtError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        if error.filename is None:  # not about a path the user named: a bug, keep its traceback
            raise
        print(f"error: {describe_os_error(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130  # the shell's status for a command stopped by Ctrl-C
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


def stdout_closed() -> bool:
    """Whether standard output is a pipe whose reader has gone (``head`` after its lines)."""
    if not hasattr(select, "poll"):  # Windows has no poll for pipes; stdout is the likely one
        return True
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError):  # replaced by an object without a descriptor (io.StringIO)
        return False
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    # the write end of a pipe reports an error once nothing reads it any more
    return any(events & select.POLLERR for _, events in poller.poll(0))


def print_line(text: str, file: TextIO) -> None:
    """Print ``text`` as a line of ``file`` that a progress bar on the same terminal does not run into.

    A bar is drawn without a newline, so a plain print lands on the bar's line;
    tqdm lifts its bars, writes the line and draws them again below it (with
    no bar drawn, this is print).
    """
    from tqdm import tqdm  # when first needed: most commands draw no bar

    tqdm.write(text, file=file)


def discard_stdout() -> None:
    """Point standard output at the null device, so that Python's last flush at exit cannot fail."""
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, sys.stdout.fileno())
    os.close(null)


def describe_os_error(error: OSError) -> str:
    """One line for a failed file operation: the path and why, naming a parent that is a file.

    The system says "File exists" or "Not a directory" when a folder on the way is a file.
    """
    path = os.fsdecode(error.filename)
    return f"{path}: {os_reason(path, error)}"


def make_output_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) for an output; OutputWriteError naming a file in the way."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        in_the_way = folder.exists() and not folder.is_dir()
        reason = f"{folder} is a file, not a folder" if in_the_way else os_reason(folder, error)
        raise OutputWriteError(f"{folder}: cannot create the output folder ({reason})") from error


def check_output_file(path: str | os.PathLike, option: str) -> None:
    """Make sure the file an option names can be written, before the command does its work.

    Its folder is made (:func:`make_output_folder`, which names a file in the way) and a
    temporary file is made and dropped there, which finds a folder this process may not write
    in or a read-only disk; ConfigError names the option when ``path`` is itself a folder.
    """
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{option} {path}: is a folder; name a file")
    make_output_folder(path.parent)
    try:
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as error:
        raise OutputWriteError(f"{path}: cannot write ({os_reason(path, error)})") from error


def set_tensorflow_environment() -> None:
    """Environment switches that must be set before TensorFlow is imported.

    oneDNN's CPU kernels crashed (segmentation fault) on this model with
    TensorFlow 2.21, so they are off unless the caller set the switch itself;
    TensorFlow's C++ info lines are silenced the same way.
    """
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def int_at_least(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``low`` (and <= ``high`` when given)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from error
        if value < low or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"from {low} to {high}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {value}")
        return value

    parse.__name__ = f"int>={low}" if high is None else f"int in [{low}, {high}]"
    return parse


# a character n-gram of more context than this is larger than useful: its counts grow with
# every character of every text
LM_ORDER = int_at_least(1, 20)
# a beam search's time grows with its width: at this width a line already takes seconds, and
# much wider beams ran for minutes on a single word
BEAM_WIDTH = int_at_least(1, 1024)


def float_in(
    low: float, high: float | None = None, *, open_low: bool = False, open_high: bool = False
) -> Callable[[str], float]:
    """An argparse type: a finite number between ``low`` and ``high`` (ends included unless open)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from error
        if value != value or value in (float("inf"), float("-inf")):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        too_high = high is not None and (value > high or (open_high and value == high))
        if value < low or (open_low and value == low) or too_high:
            bracket = "(" if open_low else "["
            upper = "inf)" if high is None else f"{high}{')' if open_high else ']'}"
            raise argparse.ArgumentTypeError(f"must be in {bracket}{low}, {upper}, got {value}")
        return value

    parse.__name__ = "number"
    return parse


POSITIVE_INT = int_at_least(1)
NON_NEGATIVE_INT = int_at_least(0)
FINITE_FLOAT = float_in(float("-inf"))  # any number but nan and the infinities
POSITIVE_FLOAT = float_in(0.0, open_low=True)
NON_NEGATIVE_FLOAT = float_in(0.0)
FRACTION = float_in(0.0, 1.0, open_low=True, open_high=True)  # a share strictly inside (0, 1)
