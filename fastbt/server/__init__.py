"""Backtests as a service: a REST API over fastbt (optional ``server`` extra).

``fastbt serve`` starts it (see docs/service.md). Importing this package does not
import FastAPI; ``fastbt.server.app.create_app`` does.
"""
