"""Progress reporting from long calls to whoever is listening (the CLI's progress bars).

The library never prints. A long call announces its phases with :func:`progress_phase`
and estimators report steps with :func:`report_progress`; both do nothing unless a
caller installed a listener (:func:`listen_to_phases`, :func:`listen_to_progress`).
"""

import contextlib
import contextvars

_listener = contextvars.ContextVar("distilkit_progress_listener", default=None)
_phase_listener = contextvars.ContextVar("distilkit_phase_listener", default=None)


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


@contextlib.contextmanager
def listen_to_phases(show):
    """Within the block, every :func:`progress_phase` runs inside ``show(description, total)``.

    ``show`` is a context manager factory yielding ``update(n, total=None, what=None)``
    (a progress bar); the estimators' reports inside the phase go to that ``update``.
    """
    token = _phase_listener.set(show)
    try:
        yield
    finally:
        _phase_listener.reset(token)


@contextlib.contextmanager
def progress_phase(description, total=None):
    """A named phase of a long call. Yields ``advance(n)``, which moves the phase on by ``n`` of ``total``.

    Examples
    --------
    >>> with progress_phase("scoring", total=2) as advance:
    ...     advance(2)
    """
    show = _phase_listener.get()
    if show is None:
        yield lambda n: None
        return
    with show(description, total) as update, listen_to_progress(update):
        yield update
