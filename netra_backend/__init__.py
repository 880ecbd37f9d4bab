"""Netra: AI agent runs for authenticated users, streamed live over WebSockets."""

from netra_backend import removed_modules as _removed_modules

# Installed at package import so that every import path below ``netra_backend`` is covered
# before any submodule can be looked up.
_removed_modules.install()
