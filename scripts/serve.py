"""Serve the search API: `retriever serve` (`python scripts/serve.py --help`)."""

import sys

from retriever.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
