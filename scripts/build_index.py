"""Build or update a search index: `retriever build` (`python scripts/build_index.py --help`)."""

import sys

from retriever.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
