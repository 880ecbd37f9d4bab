"""Alembic migrations for the service's schema; run by ``Database.migrate``."""
