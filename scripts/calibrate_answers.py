"""Fit the /ask confidence: `python scripts/calibrate_answers.py --help`."""

import sys

from retriever.cli import calibrate_main

if __name__ == "__main__":
    sys.exit(calibrate_main())
