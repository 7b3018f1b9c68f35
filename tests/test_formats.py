"""Reading .txt, .md, .html, .pdf and .docx files into plain text, including broken and hostile files."""

from __future__ import annotations

import os
import re
import time
import zipfile
from pathlib import Path

import docx
import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from retriever.reading import formats
from retriever.reading.formats import SUPPORTED_SUFFIXES, UnreadableDocument, read_text

PARAGRAPH_1 = ["国务院常务会议审议通过了", "关于促进数字经济发展的意见。"]
PARAGRAPH_2 = ["会议指出，要加快建设全国", "统一大市场，2024年目标明确。"]

ARTICLE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="{charset}"><title>国务院常务会议</title>
<style>.banner {{ color: red }}</style>
<script>var tracker = "追踪脚本内容";</script></head>
<body>
<header><nav><ul><li><a href="/">首页</a></li><li><a href="/news">新闻中心</a></li>
<li><a href="/open">政务公开</a></li></ul></nav></header>
<main><article>
<h1>国务院常务会议部署数字经济发展</h1>
<p>国务院总理主持召开国务院常务会议，审议通过了关于促进数字经济发展的意见。会议指出，数字经济是新的经济增长点，
要加快数字基础设施建设。</p>
<p>会议强调，要坚持创新驱动，推动数据要素市场化配置改革，<br>加强个人信息保护，营造良好的发展环境。</p>
<p>会议还研究了其他事项，要求各地区各部门抓好落实，确保各项政策措施落地见效。</p>
</article></main>
<footer><p>版权所有 2024 中国政府网 京ICP备05070218号</p></footer>
<script>document.write("底部脚本")</script>
</body></html>
"""


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_supported_suffixes() -> None:
    assert set(SUPPORTED_SUFFIXES) == {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}


# --- PDF ---------------------------------------------------------------------------------------


def make_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A PDF with reportlab's built-in CJK font: one line per string, a skipped line between paragraphs ("")."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path))
    for lines in pages:
        pdf.setFont("STSong-Light", 12)
        y = 780
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 18
        pdf.showPage()
    pdf.save()
    return path


def test_pdf_chinese_text_layer_in_order(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "a.pdf", [[*PARAGRAPH_1, "", *PARAGRAPH_2], ["第二页：北京市人民政府"]])
    text = read_text(path)
    flat = squash(text)
    first, second = "".join(PARAGRAPH_1), "".join(PARAGRAPH_2)
    assert first in flat and second in flat
    assert flat.index(first) < flat.index(second) < flat.index("第二页：北京市人民政府")
    assert "\n\n第二页" in text  # pages joined with a blank line
    assert "国务院常务会议审议通过了\n关于" in text  # hard line breaks are left alone


def test_pdf_chinese_glyphs_placed_one_by_one(tmp_path: Path) -> None:
    """Some PDF writers position every glyph on its own; the line must still come out whole and in order."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(tmp_path / "glyphs.pdf"))
    pdf.setFont("STSong-Light", 12)
    for i, char in enumerate("".join(PARAGRAPH_1)):
        pdf.drawString(72 + i * 12.5, 780, char)
    pdf.save()
    assert read_text(tmp_path / "glyphs.pdf") == "".join(PARAGRAPH_1)


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    pdf = canvas.Canvas(str(tmp_path / "scan.pdf"))
    pdf.rect(72, 72, 300, 300, fill=1)
    pdf.save()
    with pytest.raises(UnreadableDocument, match="no text layer"):
        read_text(tmp_path / "scan.pdf")


def test_not_a_pdf(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocument, match=r"\.pdf"):
        read_text(write(tmp_path / "fake.pdf", b"this is not a PDF at all"))


def test_truncated_pdf_never_leaks_a_library_error(tmp_path: Path) -> None:
    data = make_pdf(tmp_path / "whole.pdf", [PARAGRAPH_1]).read_bytes()
    for cut in (20, len(data) // 2, len(data) - 30):
        try:
            read_text(write(tmp_path / "cut.pdf", data[:cut]))
        except UnreadableDocument:
            pass


# --- plain text --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("gbk", "北京欢迎你\n"),  # short enough that a detector alone would guess Korean (cp949)
        ("gbk", "国务院常务会议审议通过了关于促进数字经济发展的意见。\n\n会议指出，要加快建设全国统一大市场。\n"),
        ("gb18030", "生僻字：䶮、𠀀、㐀，欧元符号€，以及普通汉字北京。\n"),  # four-byte GB18030 sequences
        ("big5", "中華民國政府今日宣布新的經濟政策，臺灣經濟成長率達到百分之三。\n"),
    ],
)
def test_txt_legacy_chinese_encodings(tmp_path: Path, encoding: str, text: str) -> None:
    assert read_text(write(tmp_path / "a.txt", text.encode(encoding))) == text


def test_txt_utf8_bom_dropped_and_newlines_normalised(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "\ufeff第一行\r\n第二行\r\n\r\n  第二段\r旧式换行\n".encode())
    assert read_text(path) == "第一行\n第二行\n\n  第二段\n旧式换行\n"


def test_txt_utf16_with_bom(tmp_path: Path) -> None:
    assert read_text(write(tmp_path / "a.txt", "你好\r\n世界".encode("utf-16"))) == "你好\n世界"


def test_txt_mixed_utf8_and_gbk_lines_are_each_decoded(tmp_path: Path) -> None:
    """Lines that are valid UTF-8 are read as UTF-8; the others with the encoding detected on them (GB18030)."""
    data = "UTF-8 行：你好世界\n".encode() + "GBK 行：北京欢迎你，数字经济\n".encode("gbk") + "再一行：谢谢\n".encode()
    assert (
        read_text(write(tmp_path / "mixed.txt", data))
        == "UTF-8 行：你好世界\nGBK 行：北京欢迎你，数字经济\n再一行：谢谢\n"
    )


@pytest.mark.parametrize(
    "data", [b"", b"   \n\t\r\n", "\u3000\n".encode()], ids=["empty", "whitespace", "ideographic-space"]
)
def test_no_text(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(UnreadableDocument, match="no text"):
        read_text(write(tmp_path / "a.txt", data))


def test_punctuation_only_is_text(tmp_path: Path) -> None:
    """Emptiness is judged after stripping whitespace only, so punctuation alone is returned as it is."""
    assert read_text(write(tmp_path / "a.txt", "。。。！？——……\n".encode())) == "。。。！？——……\n"


def test_binary_file(tmp_path: Path) -> None:
    data = os.urandom(4096) + b"\x00\x00" + os.urandom(4096)
    with pytest.raises(UnreadableDocument, match="binary file"):
        read_text(write(tmp_path / "a.txt", data))


def test_binary_file_without_nul_bytes(tmp_path: Path) -> None:
    data = bytes(range(1, 256)) * 64
    with pytest.raises(UnreadableDocument, match="binary file"):
        read_text(write(tmp_path / "a.txt", data))


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_large_text_file_loads_fast(tmp_path: Path, encoding: str) -> None:
    line = "国务院常务会议审议通过了关于促进数字经济发展的意见。\n"
    data = (line * (20 * 2**20 // len(line.encode(encoding)))).encode(encoding)
    path = write(tmp_path / "big.txt", data)
    start = time.perf_counter()
    text = read_text(path)
    assert time.perf_counter() - start < 5
    assert len(data) > 19 * 2**20
    assert text.startswith(line) and text.count("\n") == data.count(b"\n")


def test_over_limit(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "北京".encode() * 100)
    with pytest.raises(UnreadableDocument, match="larger than 100 bytes"):
        read_text(path, max_bytes=100)
    assert read_text(path, max_bytes=600) == "北京" * 100


def test_unsupported_missing_and_directory(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocument, match="unsupported file type .xls"):
        read_text(write(tmp_path / "a.xls", b"x"))
    with pytest.raises(UnreadableDocument, match="cannot open file"):
        read_text(tmp_path / "missing.txt")
    (tmp_path / "folder.txt").mkdir()
    with pytest.raises(UnreadableDocument, match="cannot open file"):
        read_text(tmp_path / "folder.txt")


# --- Markdown ----------------------------------------------------------------------------------


def test_markdown_markup_removed(tmp_path: Path) -> None:
    source = """# 数字经济 **发展**

国务院*常务会议*审议通过了[关于促进数字经济发展的意见](https://www.gov.cn/a.html)![配图](a.png)。
会议指出，要加快建设`全国统一大市场`。

- 第一，加快5G网络建设。
- 第二，推动工业互联网发展。

```python
print("代码保留")
```

| 指标 | 数值 |
|---|---|
| 增长率 | 5.2% |
"""
    assert read_text(write(tmp_path / "a.md", source.encode())) == (
        "数字经济 发展\n\n"
        "国务院常务会议审议通过了关于促进数字经济发展的意见。\n会议指出，要加快建设全国统一大市场。\n\n"
        "第一，加快5G网络建设。\n\n第二，推动工业互联网发展。\n\n"
        'print("代码保留")\n\n'
        "指标\t数值\n\n增长率\t5.2%"
    )


# --- HTML --------------------------------------------------------------------------------------


def check_article(text: str) -> None:
    assert "国务院常务会议部署数字经济发展\n\n国务院总理主持召开" in text
    assert "会议指出，数字经济是新的经济增长点" in text
    assert "推动数据要素市场化配置改革，\n加强个人信息保护" in text  # <br> is a line break within the paragraph
    assert "确保各项政策措施落地见效" in text
    for boilerplate in ("追踪脚本", "底部脚本", "版权所有", "京ICP备", "新闻中心", "color"):
        assert boilerplate not in text


def test_html_main_text(tmp_path: Path) -> None:
    check_article(read_text(write(tmp_path / "a.html", ARTICLE.format(charset="utf-8").encode())))


@pytest.mark.parametrize(
    "head",
    ['<meta charset="gbk">', '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'],
)
def test_html_gbk_page_with_meta_charset(tmp_path: Path, head: str) -> None:
    page = ARTICLE.format(charset="utf-8").replace('<meta charset="utf-8">', head)
    check_article(read_text(write(tmp_path / "a.htm", page.encode("gbk"))))


def test_html_xhtml_declaration(tmp_path: Path) -> None:
    page = '<?xml version="1.0" encoding="gbk"?>\n' + ARTICLE.format(charset="gbk")
    check_article(read_text(write(tmp_path / "a.html", page.encode("gbk"))))


def test_html_fallback_to_visible_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats.trafilatura, "bare_extraction", lambda *args, **kwargs: None)
    page = ARTICLE.format(charset="utf-8").replace(
        "</article>", "<table><tr><td>指标</td><td>5.2%</td></tr></table></article>"
    )
    text = read_text(write(tmp_path / "a.html", page.encode()))
    check_article(text)
    assert "要加快数字基础设施建设" in text and "指标\t5.2%" in text


def test_html_without_markup(tmp_path: Path) -> None:
    assert squash(read_text(write(tmp_path / "a.html", "纯文本内容\n第二行".encode()))) == "纯文本内容第二行"


# --- DOCX --------------------------------------------------------------------------------------


def test_docx_paragraphs_and_tables(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("数字经济发展意见", level=1)
    document.add_paragraph("国务院常务会议审议通过了关于促进数字经济发展的意见。")
    document.add_paragraph("")
    document.add_paragraph("第一行").add_run().add_break()
    document.paragraphs[-1].add_run("第二行")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "合并标题"
    table.cell(0, 2).text = "数值"
    for i, value in enumerate(["增长率", "百分比", "5.2%"]):
        table.cell(1, i).text = value
    document.add_paragraph("表后的段落。")
    document.save(str(tmp_path / "a.docx"))
    assert read_text(tmp_path / "a.docx") == (
        "数字经济发展意见\n\n国务院常务会议审议通过了关于促进数字经济发展的意见。\n\n第一行\n第二行\n\n"
        "合并标题\t数值\n增长率\t百分比\t5.2%\n\n表后的段落。"
    )


@pytest.mark.parametrize("data", [b"PK not really a zip", os.urandom(1000)], ids=["not-zip", "random"])
def test_docx_that_is_not_a_docx(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(UnreadableDocument, match=r"\.docx"):
        read_text(write(tmp_path / "a.docx", data))


def test_zip_that_is_not_a_docx(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "a.docx", "w") as archive:
        archive.writestr("hello.txt", "你好")
    with pytest.raises(UnreadableDocument, match=r"\.docx"):
        read_text(tmp_path / "a.docx")
