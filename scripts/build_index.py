"""Build a search index: `python scripts/build_index.py --help`."""

import sys

from retriever.cli import build_main

if __name__ == "__main__":
    sys.exit(build_main())
