"""What a strategy returns is checked before any kernel runs (docs/strategies.md):
length, dtype and shape of the fast form's arrays, and the reference form's per-bar
answer, with one checker, in ``run``, ``sweep`` and the reference engine."""

import numpy as np
import pytest

import fastbt
from fastbt.compare import compare_results
from tests.helpers import make_bars

N = 8
BARS = make_bars(np.arange(10.0, 10.0 + N), np.arange(10.5, 10.5 + N))
ENTRY = np.zeros(N, dtype=bool)
ENTRY[[1, 4]] = True
EXIT = np.zeros(N, dtype=bool)
EXIT[[3, 6]] = True


def strategy_returning(output, reference_output=(False, False)) -> fastbt.Strategy:
    """A strategy whose fast form returns ``output(n_bars)`` and whose reference form
    returns ``reference_output`` on every bar."""

    class Reference(fastbt.ReferenceStrategy):
        def generate_signals(self, history):
            return reference_output

    return fastbt.Strategy(
        name="returns_given",
        description="returns what the test gives",
        params=(),
        signals=lambda o, h, lo, c, v: output(c.shape[0]),
        reference=Reference,
    )


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (lambda n: (ENTRY[: n - 1], EXIT), r"returned entry with shape \(7,\); .* shape \(8,\)"),
        (lambda n: (ENTRY, np.ones(n + 3, bool)), r"returned exit with shape \(11,\)"),
        (lambda n: (ENTRY.reshape(2, 4), EXIT), r"returned entry with shape \(2, 4\); .*1-D"),
        (lambda n: (ENTRY * 0.5, EXIT), r"entry as a float64 array, not booleans; return bool"),
        (lambda n: (ENTRY, EXIT.astype(float)), "exit as a float64 array, not booleans"),
        (lambda n: (ENTRY * 2, EXIT), "entry as a int64 array, with values other than 0 and 1"),
        (lambda n: (ENTRY.astype(object), EXIT), "entry as a object array, not booleans"),
        (lambda n: (ENTRY, None), r"returned exit with shape \(\)"),
        (lambda n: ENTRY, r"must return a pair \(entry, exit\), got ndarray"),
        (lambda n: None, r"must return a pair \(entry, exit\), got NoneType"),
    ],
)
def test_bad_signal_arrays_are_refused_before_the_kernel(output, message):
    with pytest.raises(ValueError, match="the signal function of strategy 'returns_given' "):
        fastbt.run(BARS, strategy_returning(output))
    with pytest.raises(ValueError, match=message):
        fastbt.run(BARS, strategy_returning(output))


def test_sweeps_check_every_set_with_the_same_checker():
    def short_for_some(o, h, lo, c, v, cut):
        return ENTRY[: c.shape[0] - cut], EXIT

    strategy = fastbt.Strategy(
        name="short_for_some",
        description="entry too short when cut > 0",
        params=(fastbt.Param("cut", int, 0, minimum=0),),
        signals=short_for_some,
        reference=fastbt.ReferenceStrategy,
    )
    with pytest.raises(fastbt.SweepError) as error:
        fastbt.sweep(BARS, strategy, {"cut": [0, 2]}, progress=False, chunk_size=1)
    message = str(error.value)
    assert "1 of 2 chunk(s) failed" in message
    assert (
        "sets 1-1) failed: ValueError: the signal function of strategy 'short_for_some'" in message
    )
    assert r"returned entry with shape (6,)" in message


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_integer_zero_one_signals_are_booleans(engine):
    as_bools = fastbt.run(
        BARS, strategy_returning(lambda n: (ENTRY, EXIT), (True, False)), engine=engine
    )
    as_ints = fastbt.run(
        BARS,
        strategy_returning(lambda n: (ENTRY.astype(np.uint8), EXIT.astype(int)), (1, np.int64(0))),
        engine=engine,
    )
    assert compare_results(as_bools, as_ints) == []
    assert len(as_ints.trades) > 0


def test_fast_results_depend_on_the_signals_not_on_their_integer_type():
    ints = strategy_returning(lambda n: (ENTRY.astype(np.int32), EXIT.astype(np.int8)))
    result = fastbt.run(BARS, ints)
    assert result.trades["entry_bar"].tolist() == [2, 5]
    assert result.trades["exit_bar"].tolist() == [4, 7]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ((0.5, False), "Reference.generate_signals returned entry as 0.5 at bar 0, not booleans"),
        ((True, 2), "returned exit as 2 at bar 0, with values other than 0 and 1"),
        ((True, 1.0), "returned exit as 1.0 at bar 0, not booleans"),
        ((np.array([True]), False), r"returned entry with shape \(1,\) at bar 0; it must be one"),
        ((True, "yes"), "returned exit as 'yes' at bar 0, not booleans"),
        ((True,), r"Reference.generate_signals must return a pair \(entry, exit\), got tuple"),
        (None, r"must return a pair \(entry, exit\), got NoneType"),
    ],
)
def test_bad_reference_answers_are_refused_naming_the_method(answer, message):
    strategy = strategy_returning(lambda n: (ENTRY, EXIT), answer)
    with pytest.raises(ValueError, match=message):
        fastbt.run(BARS, strategy, engine="reference")


def test_numpy_booleans_from_the_reference_form_are_accepted():
    strategy = strategy_returning(lambda n: (ENTRY, EXIT), (np.bool_(True), np.False_))
    assert fastbt.run(BARS, strategy, engine="reference").trades["entry_bar"].tolist() == [1]
