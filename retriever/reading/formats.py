"""Reading documents of several formats (text, Markdown, HTML, PDF, DOCX) into plain text."""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable
from pathlib import Path

import docx
import lxml.html
import trafilatura
from charset_normalizer import from_bytes
from docx.table import Table, _Cell
from lxml import etree
from markdown_it import MarkdownIt
from markdown_it.token import Token
from pdfminer.high_level import extract_text as pdf_extract_text
from pdfminer.layout import LAParams
from trafilatura.settings import Document as ExtractedPage

from retriever.errors import DocumentTooLarge, UnreadableDocument, UnsupportedFormat

DEFAULT_MAX_BYTES = 50 * 1024 * 1024

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_GB_CODECS = {"gb2312", "gbk", "gb18030", "hz"}
_JAPANESE_KOREAN_CODECS = {
    "cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004", "euc_jisx0213",
    "iso2022_jp", "cp949", "euc_kr", "johab", "iso2022_kr",
}  # fmt: skip
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_NEWLINES = re.compile(r"\r\n?")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
_PARAGRAPH_BREAK = re.compile(r"\s*\n\s*\n\s*")
_SPACE_RUN = re.compile(r"\s+")
_HTML_TAG = re.compile(r"<[^>]*>")
_PDF_UNMAPPED_GLYPH = re.compile(r"\(cid:\d+\)")
_HTML_HIDDEN = ("head", "script", "style", "noscript", "template", "nav", "footer")
_HTML_BLOCKS = (
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "ol", "p", "pre", "section", "table", "ul",
)  # fmt: skip
_HTML_LINES = ("br", "li", "tr")
_HTML_CELLS = ("td", "th")
# Element names of trafilatura's extracted body.
_MAIN_BLOCKS = ("head", "p", "list", "quote", "code", "table")
_MAIN_LINES = ("lb", "item", "row")
_MAIN_CELLS = ("cell",)
# pdfminer's default line_margin (0.5) splits lines set at 1.5x leading, common in Chinese documents,
# into separate text boxes, which would put a blank line after every line.
_PDF_LAYOUT = LAParams(line_margin=1.0)
_MARKDOWN = MarkdownIt("commonmark").enable("table")


def read_text(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The plain text of one file, by suffix. Raises UnreadableDocument for anything it cannot read.

    The text is only judged empty after stripping whitespace, so a file of punctuation alone is text.
    """
    reader_of(path.name)
    try:
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise UnreadableDocument(f"cannot open file ({exc.strerror or exc})") from exc
    return read_bytes(path.name, data, max_bytes)


def reader_of(name: str) -> Callable[[bytes], str]:
    """The reader for a file called ``name``, by its suffix; raises UnsupportedFormat for any other."""
    suffix = Path(name).suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        raise UnsupportedFormat(f"unsupported file type {suffix or '(no suffix)'} (supported: {supported})")
    return reader


def read_bytes(name: str, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The plain text of the contents ``data`` of a file called ``name`` (an upload, a file already read), by the
    name's suffix, with the same checks as :func:`read_text`."""
    reader = reader_of(name)
    if len(data) > max_bytes:
        raise DocumentTooLarge(f"file larger than {_human_size(max_bytes)}")
    try:
        text = reader(data)
    except UnreadableDocument:
        raise
    except Exception as exc:
        detail = next(iter(str(exc).strip().splitlines()), "")[:200]
        suffix = Path(name).suffix.lower()
        raise UnreadableDocument(f"cannot parse {suffix} file ({type(exc).__name__}: {detail})") from exc
    if not text.strip():
        raise UnreadableDocument("no text")
    return text


def _human_size(n: int) -> str:
    return f"{n / 2**20:g} MB" if n >= 2**20 else f"{n} bytes"


def _decode(data: bytes, declared: str | None = None) -> str:
    """Decode text: a BOM wins, then the declared charset, then UTF-8, then a detected legacy encoding.

    A file that is not valid UTF-8 as a whole is decoded line by line: lines that are valid UTF-8
    stay UTF-8 and the others are decoded with the encoding detected on them alone, so a file that
    mixes UTF-8 and GBK lines stays readable in both halves.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding)
    if b"\x00" in data:
        raise UnreadableDocument("binary file")
    for encoding in filter(None, (declared, "utf-8")):
        if _decodes(data, encoding):
            return data.decode(encoding)
    lines = data.splitlines(keepends=True)
    utf8 = [_decodes(line, "utf-8") for line in lines]
    legacy = _detect_encoding(b"".join(line for line, ok in zip(lines, utf8) if not ok))
    if legacy is None:
        raise UnreadableDocument("binary file")
    return "".join(line.decode("utf-8" if ok else legacy, errors="replace") for line, ok in zip(lines, utf8))


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _detect_encoding(data: bytes) -> str | None:
    """The detector's guess, except that valid GB18030 wins whenever Chinese is a plausible reading.

    On short or rare-character Chinese text charset-normalizer often has no answer or guesses a
    Japanese or Korean codec; GB18030 is also preferred when the detector rates it as good as its
    best guess (GB2312 and GBK are subsets of it). Big5 and non-CJK guesses are kept.
    """
    matches = from_bytes(data)
    best = matches.best()
    chinese_plausible = (
        best is None
        or best.encoding in _JAPANESE_KOREAN_CODECS
        or any(match.encoding in _GB_CODECS and match.chaos <= best.chaos for match in matches)
    )
    if chinese_plausible and _decodes(data, "gb18030"):
        return "gb18030"
    return best.encoding if best is not None else None


def _canonical_codec(name: str) -> str | None:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return "gb18030" if codec in _GB_CODECS else codec


def _read_txt(data: bytes) -> str:
    return _NEWLINES.sub("\n", _decode(data))


def _read_markdown(data: bytes) -> str:
    """Markdown parsed as CommonMark (plus tables); every block becomes a paragraph of its bare text."""
    blocks: list[str] = []
    row: list[str] | None = None
    for token in _MARKDOWN.parse(_read_txt(data)):
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            blocks.append("\t".join(row))
            row = None
        elif token.type == "inline":
            text = _markdown_inline(token.children or [])
            if row is not None:
                row.append(text)
            else:
                blocks.append(text)
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content.rstrip("\n"))
        elif token.type == "html_block":
            blocks.append(_HTML_TAG.sub("", token.content).strip())
    return "\n\n".join(block for block in blocks if block.strip())


def _markdown_inline(children: list[Token]) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


def _read_html(data: bytes) -> str:
    """The main text as found by trafilatura, or all visible text when it finds none."""
    declared = _META_CHARSET.search(data[:4096])
    charset = _canonical_codec(declared.group(1).decode("ascii")) if declared else None
    # lxml refuses str input that still carries an XML encoding declaration.
    html = _XML_DECLARATION.sub("", _decode(data, charset))
    page = trafilatura.bare_extraction(html, include_comments=False, include_tables=True)
    main = page.body if isinstance(page, ExtractedPage) else None
    text = _flatten(main, _MAIN_BLOCKS, _MAIN_LINES, _MAIN_CELLS) if main is not None else ""
    return text or _visible_text(html)


def _visible_text(html: str) -> str:
    """All text a browser would show outside script, style, navigation and footer."""
    root = lxml.html.document_fromstring(html)
    etree.strip_elements(root, *_HTML_HIDDEN, etree.Comment, with_tail=False)
    for element in root.iter():
        element.text = _SPACE_RUN.sub(" ", element.text) if element.text else element.text
        element.tail = _SPACE_RUN.sub(" ", element.tail) if element.tail else element.tail
    return _flatten(root, _HTML_BLOCKS, _HTML_LINES, _HTML_CELLS)


def _flatten(root: etree._Element, blocks: tuple[str, ...], lines: tuple[str, ...], cells: tuple[str, ...]) -> str:
    """The text of a tree: a blank line around each block, a line break after each line, a tab after each cell."""
    for tags, before, after in ((blocks, "\n\n", "\n\n"), (lines, "", "\n"), (cells, "", "\t")):
        for element in root.iter(*tags):
            element.text = before + (element.text or "")
            element.tail = after + (element.tail or "")
    paragraphs = (
        "\n".join(line.strip() for line in block.split("\n"))
        for block in _PARAGRAPH_BREAK.split("".join(root.itertext()))
    )
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph.strip())


def _read_pdf(data: bytes) -> str:
    """The text layer, page by page; glyphs without a Unicode mapping (pdfminer's "(cid:N)") are dropped."""
    pages = (
        _PDF_UNMAPPED_GLYPH.sub("", page).strip()
        for page in pdf_extract_text(io.BytesIO(data), laparams=_PDF_LAYOUT).split("\f")
    )
    text = "\n\n".join(page for page in pages if page)
    if not text:
        raise UnreadableDocument("PDF has no text layer")
    return text


def _read_docx(data: bytes) -> str:
    """Body paragraphs and tables in document order; a table row is its cells joined by tabs."""
    blocks = []
    for item in docx.Document(io.BytesIO(data)).iter_inner_content():
        if isinstance(item, Table):
            blocks.append("\n".join("\t".join(_unique_cells_text(row.cells)) for row in item.rows))
        else:
            blocks.append(item.text)
    return "\n\n".join(block for block in blocks if block.strip())


def _unique_cells_text(cells: list[_Cell]) -> list[str]:
    """Cell texts of a row, once per merged cell (python-docx repeats a merged cell for every grid column)."""
    seen: list[_Cell] = []
    for cell in cells:
        if not any(cell._tc is other._tc for other in seen):
            seen.append(cell)
    return [cell.text for cell in seen]


_READERS: dict[str, Callable[[bytes], str]] = {
    ".txt": _read_txt,
    ".md": _read_markdown,
    ".markdown": _read_markdown,
    ".html": _read_html,
    ".htm": _read_html,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_READERS)
