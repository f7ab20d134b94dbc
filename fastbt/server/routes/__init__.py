"""The API's routers: backtests, sweeps, and the catalogue (strategies, symbols, health)."""
