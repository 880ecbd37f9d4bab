"""``python -m import_guard``: the ``import-guard`` command."""

from import_guard.cli import main

if __name__ == "__main__":
    main()
