"""Train the answer span scorer and its confidence: `python scripts/train_reader.py --help`."""

import sys

from retriever.cli import train_reader_main

if __name__ == "__main__":
    sys.exit(train_reader_main())
