"""The real-time core. Its public names live in ``canonical_imports``; import them from there."""

from netra_backend.removed_modules import package_getattr

# Makes ``from <this package> import <removed module>`` name the replacement too.
__getattr__ = package_getattr(__name__)
