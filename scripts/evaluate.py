"""Evaluate a question set: `python scripts/evaluate.py --help`."""

import sys

from retriever.cli import evaluate_main

if __name__ == "__main__":
    sys.exit(evaluate_main())
