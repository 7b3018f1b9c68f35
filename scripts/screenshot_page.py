"""Regenerate docs/search-page.png: serve an index on loopback and photograph the page answering a question.

Needs Debian's chromium and the playwright package: `python scripts/screenshot_page.py [--index DIR] [--out PNG]`.
"""

import argparse
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from api.local_server import CHROMIUM, CHROMIUM_ARGS, running_server
from api.main import create_app
from retriever import Settings

QUESTION = "How many households did Tumed Right Banner lift out of poverty?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="index directory (default: the configured index_dir)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "search-page.png")
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args()
    settings = Settings(index_dir=args.index) if args.index else Settings()
    if not settings.index_dir.is_dir():
        parser.error(f"no index at {settings.index_dir}: build one with `make index` or pass --index")

    with running_server(create_app(settings)) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.goto(f"{base_url}/")
        page.get_by_role("searchbox").fill(args.question)
        page.keyboard.press("Enter")
        expect(page.locator("#results[aria-busy=false] h2").first).to_be_visible(timeout=60_000)
        page.locator("#q").blur()
        page.screenshot(path=args.out)
        browser.close()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
