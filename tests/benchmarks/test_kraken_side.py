"""benchmarks/copiste_lines/kraken_side.py: the wait for a quiet machine before kraken's timed training."""

from tests.benchmarks.scripts import load_script


def _kraken_side():
    return load_script("copiste_lines/kraken_side.py")


def _wait(max_load, limit_s, loads):
    readings = iter(loads)
    clock = iter(range(0, 100_000, 15))
    slept = []
    _kraken_side().wait_for_quiet(
        max_load,
        limit_s,
        load=lambda: (next(readings), 0.0, 0.0),
        sleep=slept.append,
        clock=lambda: next(clock),
    )
    return len(slept)


def test_training_waits_until_the_load_falls_below_the_limit():
    assert _wait(1.0, 600, [2.1, 1.6, 1.2, 0.7, 0.7]) == 3  # three busy readings, then one below 1.0


def test_the_wait_gives_up_at_its_limit_and_zero_turns_it_off():
    assert 1 <= _wait(1.0, 60, [2.0] * 100) <= 5
    assert _wait(0.0, 60, [2.0] * 100) == 0
