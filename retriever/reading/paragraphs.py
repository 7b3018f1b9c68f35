"""Paragraph reconstruction: undo the hard line wraps and stray breaks of PDF-extracted text."""

from __future__ import annotations

import statistics

from retriever.reading.text import join_lines

SENTENCE_END = "。！？!?；;…"
CLOSERS = "”’」』）)》】\"'"
PARAGRAPH_BREAK = "\n\n"

# A column is narrow: newspaper PDFs wrap at 10–40 characters, web text has one paragraph per line.
MAX_COLUMN_WIDTH = 60
MIN_WRAPPED_LINES = 8
FULL_LINE_RATIO = 0.8
WIDTH_TOLERANCE = 0.25


def ends_sentence(line: str) -> bool:
    """Whether a line ends with sentence-final punctuation (closing quotes and brackets allowed after it)."""
    stripped = line.rstrip().rstrip(CLOSERS)
    return bool(stripped) and stripped[-1] in SENTENCE_END


def column_width(lines: list[str]) -> int | None:
    """The wrap width of a hard-wrapped text, or None when lines are paragraphs of their own.

    A hard-wrapped text has many lines that stop mid-sentence at about the same, narrow width,
    and hardly any line much longer than that width.
    """
    lengths = sorted(len(line) for line in lines if line)
    open_lines = [len(line) for line in lines if line and not ends_sentence(line)]
    if len(open_lines) < MIN_WRAPPED_LINES or len(open_lines) < len(lengths) / 2:
        return None
    width = statistics.median(open_lines)
    at_width = sum(1 for n in open_lines if abs(n - width) <= WIDTH_TOLERANCE * width)
    longest_usual = lengths[int(0.9 * (len(lengths) - 1))]
    if width > MAX_COLUMN_WIDTH or at_width < len(open_lines) / 2 or longest_usual > (1 + WIDTH_TOLERANCE) * width:
        return None
    return int(width)


def reconstruct_paragraphs(text: str) -> str:
    """One paragraph per block, blocks separated by a blank line, lines of a paragraph joined.

    In hard-wrapped text a full-width line continues into the next one, even across a blank line
    (a column or page break); a short line ends its paragraph (a headline, or a paragraph's last line).
    Elsewhere every non-empty line is a paragraph.
    """
    lines = [line.strip() for line in text.splitlines()]
    width = column_width(lines)
    if width is None:
        paragraphs = [[line] for line in lines if line]
    else:
        paragraphs = _join_wrapped(lines, width)
    return PARAGRAPH_BREAK.join(tidy for block in paragraphs if (tidy := join_lines("\n".join(block))))


def _join_wrapped(lines: list[str], width: int) -> list[list[str]]:
    full = FULL_LINE_RATIO * width
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if current:
            last = current[-1]
            continues = len(last) >= full and (not ends_sentence(last) or bool(line))
            if not continues:
                paragraphs.append(current)
                current = []
        if line:
            current.append(line)
    if current:
        paragraphs.append(current)
    return paragraphs
