"""Pin BLAS to one thread while a model is fitted.

The fits evaluate small vectors thousands of times; on a shared 2-core machine NumPy's
threaded BLAS fighting SciPy's optimiser for the cores costs far more than it gains.
threadpoolctl (a scikit-learn dependency) does the pinning when it is installed; finding
the thread pools takes ~50 ms, so it is done once per process.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any


@functools.cache
def _controller() -> Any:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        return None
    return ThreadpoolController()


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with BLAS/OpenMP pools limited to one thread, where threadpoolctl exists."""
    controller = _controller()
    if controller is None:  # pragma: no cover
        yield
        return
    with controller.limit(limits=1):
        yield
