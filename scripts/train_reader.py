"""Train the answer reader and its confidence: `retriever calibrate reader` (`python scripts/train_reader.py --help`)."""

import sys

from retriever.cli import main

if __name__ == "__main__":
    sys.exit(main(["calibrate", "reader", *sys.argv[1:]]))
