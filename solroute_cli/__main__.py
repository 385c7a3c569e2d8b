"""python -m solroute_cli ... (the same as the `solroute` script)."""

import sys

from solroute_cli.main import main

sys.exit(main())
