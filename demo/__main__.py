"""Run the demo: `python -m demo [--assembly cdk.out] [--time-scale 1.0]`."""

import sys

from demo.platform import main

sys.exit(main())
