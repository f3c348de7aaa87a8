"""`python -m compiler` is the same as `policyc`."""

import sys

from compiler.cli import main

sys.exit(main())
