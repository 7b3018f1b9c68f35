"""Evaluate retrieval (and answers) on a question set: `retriever evaluate` (`python scripts/evaluate.py --help`)."""

import sys

from retriever.cli import main

if __name__ == "__main__":
    sys.exit(main(["evaluate", *sys.argv[1:]]))
