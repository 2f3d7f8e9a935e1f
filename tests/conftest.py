"""Session-wide test settings.

Triton decorates its own standard library (``tl.sum``, ``tl.max``, ...) when ``triton`` is first
imported, in compiled or interpreted mode according to ``TRITON_INTERPRET`` at that moment; torch
may import triton early. So the interpreter flag that lets the Triton kernels run on CPU tensors in
CI must be set before anything is imported. ``setdefault`` keeps an explicit
``TRITON_INTERPRET=0`` on a GPU machine, where the kernels then run compiled.
"""

import os

os.environ.setdefault("TRITON_INTERPRET", "1")
