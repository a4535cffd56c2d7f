"""``python -m cobrowse serve [options]``: the session server's command line (``server.cli``)."""

import sys

from cobrowse.server.cli import main

if __name__ == "__main__":
    sys.exit(main())
