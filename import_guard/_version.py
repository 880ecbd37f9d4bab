"""The one place import_guard's version is written (the package metadata reads it)."""

__version__ = "0.2.0"
