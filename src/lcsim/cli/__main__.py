"""`python -m lcsim.cli.main`."""

import sys

from lcsim.cli.main import main

sys.exit(main())
