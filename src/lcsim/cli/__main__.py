"""`python -m lcsim.cli`."""

import sys

from lcsim.cli.main import main

sys.exit(main())
