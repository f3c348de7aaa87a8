"""`python -m compiler` is the same as `policyc`."""

import sys

from .cli import main

sys.exit(main())
