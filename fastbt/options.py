"""Run options shared by both engines, validated once (docs/execution.md)."""

import math
from dataclasses import asdict, dataclass

FILL_MODES = ("next_open", "close")
SIZE_TYPES = ("percent", "units")


def finite_number(name: str, value) -> float:
    """``value`` as a finite float, or a ValueError naming ``name`` (an option or parameter).

    Shared by the run options, strategy parameters and the CLI, so an integer too
    large for a float (``10**400``) is the same one-line error everywhere.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # only ints get here: floats are at most ~1.8e308
        raise ValueError(
            f"{name} is too large (about 1e{int(math.log10(abs(value)))}), "
            "give a finite number below 1.8e308"
        ) from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return number


@dataclass(frozen=True)
class RunOptions:
    """How orders fill and are sized, and how metrics are annualised.

    ``periods_per_year`` None means "infer from the bar spacing".
    """

    cash: float = 10_000.0
    commission: float = 0.0
    fixed_fee: float = 0.0
    slippage: float = 0.0
    fill: str = "next_open"
    size: float = 1.0
    size_type: str = "percent"
    fractional: bool = True
    close_at_end: bool = False
    periods_per_year: float | None = None

    def __post_init__(self):
        for name in ("cash", "commission", "fixed_fee", "slippage", "size"):
            object.__setattr__(self, name, finite_number(name, getattr(self, name)))
        if self.cash <= 0:
            raise ValueError(f"cash must be positive, got {self.cash:g}")
        for name in ("commission", "fixed_fee", "slippage"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name):g}")
        for name, of in (("commission", "notional"), ("slippage", "price")):
            if getattr(self, name) >= 1:
                raise ValueError(
                    f"{name} must be below 1 (a fraction of {of}; 0.001 is 0.1%), "
                    f"got {getattr(self, name):g}"
                )
        if self.fill not in FILL_MODES:
            raise ValueError(f"fill must be one of {', '.join(FILL_MODES)}, got {self.fill!r}")
        if self.size_type not in SIZE_TYPES:
            raise ValueError(
                f"size_type must be one of {', '.join(SIZE_TYPES)}, got {self.size_type!r}"
            )
        if self.size_type == "percent" and not 0 < self.size <= 1:
            raise ValueError(f"size must be in (0, 1] with size_type='percent', got {self.size:g}")
        if self.size_type == "units" and self.size <= 0:
            raise ValueError(f"size must be positive with size_type='units', got {self.size:g}")
        for name in ("fractional", "close_at_end"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.periods_per_year is not None:
            value = finite_number("periods_per_year", self.periods_per_year)
            if value <= 0:
                raise ValueError(f"periods_per_year must be positive, got {value:g}")
            object.__setattr__(self, "periods_per_year", value)

    def rules(self) -> tuple:
        """The options as the kernels' ``rules`` tuple (see ``kernels.simulate.bar_step``)."""
        return (
            self.commission,
            self.fixed_fee,
            self.slippage,
            self.size,
            self.size_type == "units",
            self.fractional,
            self.fill == "close",
            self.close_at_end,
        )

    def as_dict(self) -> dict:
        """Plain dict of the options, for reports and JSON."""
        return asdict(self)
