"""Entry point for `python -m batch_runner`, run from the repository root."""

import sys

from .cli import main

sys.exit(main())
