"""``python -m helsemodlite.cli``, as ``python -m helsemodlite`` and ``helsemodlite``."""

import sys

from .entry import main

sys.exit(main())
