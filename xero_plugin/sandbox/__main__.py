"""``python -m xero_plugin.sandbox``: run a local Xero as a process."""

import sys

from .runtime import main

sys.exit(main())
