"""Rule strategies from the command line: a user's module loads with --import."""

import textwrap

import pytest

from fastbt import cli
from fastbt.strategies.registry import _REGISTRY

MODULE = textwrap.dedent(
    """
    import fastbt
    from fastbt.rules import close, crosses_above, crosses_below, param, sma

    fast, slow = param("fast", 5, 1, 100), param("slow", 20, 2, 400)
    cli_cross = fastbt.Strategy.from_rules(
        "cli_cross",
        entry=crosses_above(sma(close, fast), sma(close, slow)),
        exit=crosses_below(sma(close, fast), sma(close, slow)),
        constraints=["fast < slow"],
    )
    """
)


@pytest.fixture
def module(tmp_path):
    path = tmp_path / "my_rules.py"
    path.write_text(MODULE)
    yield str(path)
    _REGISTRY.pop("cli_cross", None)


def test_imported_rule_strategy_is_listed_and_verified(module, capsys):
    assert cli.main(["strategies", "--import", module]) == 0
    listing = capsys.readouterr().out
    assert "cli_cross:" in listing
    assert "entry: crosses_above(sma(close, fast), sma(close, slow))" in listing
    _REGISTRY.pop("cli_cross")
    args = [
        "verify",
        "GOOG",
        "-s",
        "cli_cross",
        "-p",
        "fast=8",
        "-p",
        "slow=30",
        "--import",
        module,
    ]
    assert cli.main(args) == 0
    assert "fast and reference engines agree" in capsys.readouterr().out


def test_a_bad_import_is_one_line_naming_it(module, tmp_path, capsys):
    assert cli.main(["strategies", "--import", str(tmp_path / "nope.py")]) == 2
    assert capsys.readouterr().err.strip().endswith(f"no file {tmp_path / 'nope.py'}")
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    assert cli.main(["strategies", "--import", str(empty)]) == 2
    assert "defines no fastbt.Strategy" in capsys.readouterr().err
    args = ["run", "GOOG", "-s", "cli_cross", "-p", "fast=30", "-p", "slow=10", "--import", module]
    assert cli.main(args) == 2
    assert "parameters must satisfy fast < slow, got fast=30 slow=10" in capsys.readouterr().err
