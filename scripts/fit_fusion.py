"""Fit the fusion weights: `retriever calibrate fusion` (`python scripts/fit_fusion.py --help`)."""

import sys

from retriever.cli import main

if __name__ == "__main__":
    sys.exit(main(["calibrate", "fusion", *sys.argv[1:]]))
