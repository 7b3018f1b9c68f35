"""Fit weighted fusion's dense weight per question language: `python scripts/fit_fusion.py --help`."""

import sys

from retriever.cli import fit_fusion_main

if __name__ == "__main__":
    sys.exit(fit_fusion_main())
