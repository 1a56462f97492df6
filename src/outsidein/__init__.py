"""Outside-In: customer success measured the way the customer measures it."""

from outsidein.errors import OutsideInError

__version__ = "0.1.0"
__all__ = ["OutsideInError", "__version__"]
