"""SQLite storage: the only package that speaks SQL, besides the outbox (webhooks/outbox.py, the
deliveries table) and the reference wallet's own ledger."""

from netspace_mock.store.db import Database

__all__ = ["Database"]
