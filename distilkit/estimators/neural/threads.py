"""torch thread control: small nets on 2 cores run 5-30x faster on one thread."""

import contextlib
import os


@contextlib.contextmanager
def torch_threads(n_threads):
    """Set ``torch.set_num_threads`` inside the block and restore it afterwards.

    At most the machine's cores are used: more threads than cores never run faster, and a
    count read from a model file must not start thousands of threads.
    """
    import torch

    previous = torch.get_num_threads()
    if n_threads is not None:
        torch.set_num_threads(max(1, min(int(n_threads), os.cpu_count() or 1)))
    try:
        yield
    finally:
        torch.set_num_threads(previous)
