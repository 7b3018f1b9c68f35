"""Serve the search API: `python scripts/serve.py --help`."""

import sys

from retriever.cli import serve_main

if __name__ == "__main__":
    sys.exit(serve_main())
