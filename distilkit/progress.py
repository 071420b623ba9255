"""Progress reporting from long fits to whoever is listening (the CLI's progress bar).

The library never prints: estimators call :func:`report_progress`, which does nothing
unless a caller installed a listener with :func:`listen_to_progress`.
"""

import contextlib
import contextvars

_listener = contextvars.ContextVar("distilkit_progress_listener", default=None)


@contextlib.contextmanager
def listen_to_progress(callback):
    """Within the block, ``callback(done, total, what)`` receives progress reports."""
    token = _listener.set(callback)
    try:
        yield
    finally:
        _listener.reset(token)


def report_progress(done, total, what):
    """Tell the current listener, if any, that ``done`` of ``total`` ``what`` are finished."""
    callback = _listener.get()
    if callback is not None:
        callback(done, total, what)
