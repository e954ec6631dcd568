"""``python -m linkgress_async``: the ``linkgress`` command line."""

import sys

from linkgress_async.cli import main

if __name__ == "__main__":
    sys.exit(main())
