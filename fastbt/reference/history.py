"""What a reference strategy sees at bar i: bars 0..i and nothing later."""

from dataclasses import dataclass, field


@dataclass
class History:
    """Bars seen so far, as plain Python lists that grow by one bar per step.

    The engine appends bar i before asking the strategy about bar i, so a
    strategy cannot look ahead: later bars do not exist yet.
    """

    index: list = field(default_factory=list)
    open: list = field(default_factory=list)
    high: list = field(default_factory=list)
    low: list = field(default_factory=list)
    close: list = field(default_factory=list)
    volume: list = field(default_factory=list)

    def append(self, timestamp, open_, high, low, close, volume) -> None:
        """Reveal the next bar."""
        self.index.append(timestamp)
        self.open.append(float(open_))
        self.high.append(float(high))
        self.low.append(float(low))
        self.close.append(float(close))
        self.volume.append(float(volume))

    def __len__(self) -> int:
        return len(self.close)
