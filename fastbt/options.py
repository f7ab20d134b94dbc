"""Run options shared by both engines, validated once (docs/execution.md)."""

import math
from dataclasses import asdict, dataclass, fields

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


# The switches of the execution rules and their allowed values (docs/execution.md).
CHOICES = {
    "fill": FILL_MODES,
    "size_type": SIZE_TYPES,
    "direction": ("long", "short", "both"),
    "trail_on": ("high", "close"),
    "stop_anchor": ("fill", "signal_close"),
    "stop_priority": ("open_first", "sl_first"),
    "stop_slippage": ("sl_only", "none", "both"),
    "stop_bar_signals": ("honor", "drop"),
    "entry_order": ("market", "limit", "stop"),
    "reversal_fee": ("per_leg", "per_order"),
    "on_ruin": ("liquidate", "continue"),
}
FLAGS = ("fractional", "close_at_end", "trail", "stop_on_fill_bar")

# What ``like=`` sets: each peer's behaviour for every switch the peers differ on.
PRESETS = {
    "backtesting.py": {
        "fill": "next_open",
        "fractional": False,
        "reversal_fee": "per_leg",
        "on_ruin": "liquidate",
        "stop_anchor": "signal_close",
        "stop_priority": "sl_first",
        "stop_slippage": "none",
        "stop_bar_signals": "honor",
    },
    "vectorbt": {
        "fill": "close",
        "fractional": True,
        "reversal_fee": "per_order",
        "on_ruin": "continue",
        "stop_anchor": "signal_close",
        "stop_priority": "sl_first",
        "stop_slippage": "none",
        "stop_bar_signals": "drop",
    },
}
PRESET_OPTIONS = tuple(PRESETS["vectorbt"])


def _choice(name: str, value, allowed: tuple) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")


def _fraction(name: str, value, below_one: bool) -> float | None:
    """A stop distance: None (off) or a finite number > 0, below 1 when ``below_one``."""
    if value is None:
        return None
    number = finite_number(name, value)
    if number <= 0:
        raise ValueError(f"{name} must be above 0 (a fraction of price) or None, got {number:g}")
    if below_one and number >= 1:
        raise ValueError(
            f"{name} must be below 1 here (a fraction of price; 1 would put the level at 0), "
            f"got {number:g}"
        )
    return number


def _expiry(value) -> int | None:
    """Bars an entry order stays live: None, or a whole number >= 1."""
    if value is None:
        return None
    number = finite_number("entry_expiry", value)
    if number != int(number) or number < 1:
        raise ValueError(f"entry_expiry must be a whole number of bars >= 1 or None, got {value!r}")
    return int(number)


@dataclass(frozen=True)
class RunOptions:
    """How orders fill and are sized, and how metrics are annualised: every rule of
    docs/execution.md, resolved. ``periods_per_year`` None means "infer from the bar
    spacing"; ``risk_free`` is the annual risk-free rate, or ``"series"`` when a per-bar
    series was given to the run (docs/metrics.md); ``like`` records the peer preset the values came from (apply one with
    ``RunOptions.resolve(like=...)``).
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
    direction: str = "long"
    sl: float | None = None
    tp: float | None = None
    trail: bool = False
    trail_on: str = "high"
    stop_anchor: str = "fill"
    stop_priority: str = "open_first"
    stop_slippage: str = "sl_only"
    stop_bar_signals: str = "honor"
    stop_on_fill_bar: bool = True
    entry_order: str = "market"
    entry_offset: float = 0.0
    entry_expiry: int | None = None
    reversal_fee: str = "per_leg"
    on_ruin: str = "liquidate"
    risk_free: float | str = 0.0
    like: str | None = None

    @classmethod
    def resolve(cls, like: str | None = None, **given) -> "RunOptions":
        """Options from a peer preset (``like``), overridden by every option in ``given``
        (None there means "not given" for the options a preset sets)."""
        if like is not None:
            _choice("like", like, tuple(PRESETS))
        unknown = sorted(set(given) - {f.name for f in fields(cls)} - {"like"})
        if unknown:
            raise ValueError(f"unknown run option(s): {', '.join(unknown)}")
        chosen = {k: v for k, v in given.items() if not (k in PRESET_OPTIONS and v is None)}
        return cls(**(PRESETS.get(like, {}) | chosen), like=like)

    def __post_init__(self):
        for name in ("cash", "commission", "fixed_fee", "slippage", "size", "entry_offset"):
            object.__setattr__(self, name, finite_number(name, getattr(self, name)))
        if self.cash <= 0:
            raise ValueError(f"cash must be positive, got {self.cash:g}")
        for name in ("commission", "fixed_fee", "slippage", "entry_offset"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name):g}")
        for name, of in (("commission", "notional"), ("slippage", "price")):
            if getattr(self, name) >= 1:
                raise ValueError(
                    f"{name} must be below 1 (a fraction of {of}; 0.001 is 0.1%), "
                    f"got {getattr(self, name):g}"
                )
        for name, allowed in CHOICES.items():
            _choice(name, getattr(self, name), allowed)
        if self.like is not None:
            _choice("like", self.like, tuple(PRESETS))
        if self.size_type == "percent" and not 0 < self.size <= 1:
            raise ValueError(f"size must be in (0, 1] with size_type='percent', got {self.size:g}")
        if self.size_type == "units" and self.size <= 0:
            raise ValueError(f"size must be positive with size_type='units', got {self.size:g}")
        for name in FLAGS:
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        # A long's stop-loss and a short's take-profit sit at price*(1 - x): x < 1.
        object.__setattr__(self, "sl", _fraction("sl", self.sl, self.direction != "short"))
        object.__setattr__(self, "tp", _fraction("tp", self.tp, self.direction != "long"))
        object.__setattr__(self, "entry_expiry", _expiry(self.entry_expiry))
        if self.periods_per_year is not None:
            value = finite_number("periods_per_year", self.periods_per_year)
            if value <= 0:
                raise ValueError(f"periods_per_year must be positive, got {value:g}")
            object.__setattr__(self, "periods_per_year", value)

        if self.risk_free != "series":  # "series": a per-bar series was given to the run
            rate = finite_number("risk_free", self.risk_free)
            if rate < 0:
                raise ValueError(
                    f"risk_free must not be negative (an annual rate; 0.04 is 4%), got {rate:g}"
                )
            object.__setattr__(self, "risk_free", rate)

    def rules(self):
        """The options as the kernels' ``Rules`` named tuple (codes of ``fastbt.kernels.rules``;
        imported here so that this module, below the kernels, needs only the standard library)."""
        from fastbt.kernels.rules import BOTH, LIMIT, LONG, MARKET, SHORT, STOP, Rules

        return Rules(
            commission=self.commission,
            fixed_fee=self.fixed_fee,
            slippage=self.slippage,
            size=self.size,
            size_in_units=self.size_type == "units",
            fractional=self.fractional,
            fill_at_close=self.fill == "close",
            close_at_end=self.close_at_end,
            direction={"long": LONG, "short": SHORT, "both": BOTH}[self.direction],
            sl=math.nan if self.sl is None else self.sl,
            tp=math.nan if self.tp is None else self.tp,
            trail=self.trail,
            trail_on_close=self.trail_on == "close",
            anchor_signal_close=self.stop_anchor == "signal_close",
            sl_first=self.stop_priority == "sl_first",
            slip_sl=self.stop_slippage != "none",
            slip_tp=self.stop_slippage == "both",
            drop_stop_bar_signals=self.stop_bar_signals == "drop",
            stop_on_fill_bar=self.stop_on_fill_bar,
            entry_order={"market": MARKET, "limit": LIMIT, "stop": STOP}[self.entry_order],
            entry_offset=self.entry_offset,
            entry_expiry=-1 if self.entry_expiry is None else self.entry_expiry,
            reversal_per_order=self.reversal_fee == "per_order",
            ruin_continue=self.on_ruin == "continue",
        )

    def as_dict(self) -> dict:
        """Plain dict of the options, for reports and JSON."""
        return asdict(self)
