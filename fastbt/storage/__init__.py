"""Parquet storage: market data by symbol and interval (atomic, locked, validated)."""

from fastbt.storage.files import StoreError
from fastbt.storage.location import fastbt_home
from fastbt.storage.market import MarketStore, Panel
from fastbt.storage.names import INTERVALS, check_interval, check_symbol

__all__ = [
    "INTERVALS",
    "MarketStore",
    "Panel",
    "StoreError",
    "check_interval",
    "check_symbol",
    "fastbt_home",
]
