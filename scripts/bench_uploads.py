"""Benchmarks of document uploads: POST /documents latency for a two-page PDF article and for the same article as
JSON (each also replaced and deleted), how many passages an upload embeds, and GET /search answered throughout while
uploads and deletes run.

    .venv/bin/python scripts/bench_uploads.py [--repeats N] [--threads T] [--cycles K] [--quick] [--no-milvus]
                                              [--port P] [--json OUT]

The index is built afresh from the sample corpus (``retriever/data/corpus``) into a temporary directory, uploads
included, and removed at the end. Upload figures are medians over ``--repeats`` repeats, each under new document
ids. Traffic goes only to a uvicorn server this script starts on 127.0.0.1 (``api.main:create_app``, in its
own process, as ``retriever serve`` runs it) and stops; every loop is bounded by a count. See docs/BENCHMARKS.md
("Uploads") for what is measured and how to read it.

Uses the public API only: ``Retriever``, ``RawDocument`` and the app's factory.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from bench import free_port, machine, median_tree, percentiles, rss_mb, server, timed
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from retriever import RawDocument, Retriever

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT_ROOT / "retriever" / "data" / "corpus"
SEED_FILE = PROJECT_ROOT / "data" / "eval" / "seed_questions.jsonl"
ADMIN_TOKEN = "bench-uploads-admin-token"
"""The server's admin token: it listens on the loopback interface only, for the length of the run."""
REQUEST_TIMEOUT_SECONDS = 120.0
MAX_SEARCHES_PER_THREAD = 20_000
"""Bound of each search thread's loop under load; the threads stop earlier, when the upload cycles end."""
PAUSE_AFTER_CHANGE_S = 0.5
"""Under load, the main thread waits this long after each upload and each delete, so that some searches run
between changes (on the index the change just swapped in) and can be told from those overlapping one."""
TOP_K = 5
TARGETS = {"upload_s": 2.0, "failed_searches": 0}
"""An upload (two-page PDF, client-side wall time, median) answers within 2 s; no search fails meanwhile."""


@dataclass(frozen=True)
class Sizes:
    """How much work a run does: a full run, or a smoke run with ``--quick``."""

    repeats: int
    cycles: int
    baseline_searches_per_thread: int
    milvus: bool


FULL = Sizes(repeats=5, cycles=5, baseline_searches_per_thread=50, milvus=True)
QUICK = Sizes(repeats=2, cycles=2, baseline_searches_per_thread=10, milvus=False)


def log(message: str) -> None:
    print(f"[bench-uploads] {message}", file=sys.stderr, flush=True)


# --- the article ---------------------------------------------------------------------------------------------

TITLE = "临江市今年完成126个老旧小区改造 惠及居民4.3万户"
DATE = "2025-11-18"
SOURCE = "临江日报"
DATELINE = "临江日报 2025年11月18日 第3版"
PARAGRAPHS = (
    (
        "本报讯（记者 王海燕）11月17日，记者从临江市住房和城乡建设局获悉，今年全市纳入改造计划的126个老旧小区已全部完工，"
        "涉及楼栋1087栋、居民4.3万户，累计完成投资9.6亿元。改造内容涵盖屋面防水、外墙保温、雨污分流、供水管网更新、"
        "加装电梯、增设停车位和充电桩等18个项目，小区面貌和居住条件明显改善，居民满意度达到96.2%。"
    ),
    (
        "据介绍，今年的改造项目主要集中在城东、城西和滨江三个老城区，这些小区大多建成于上世纪八九十年代，普遍存在管线老化、"
        "道路破损、停车难、缺少养老托育设施等问题。市住建局副局长李建国表示，今年改造坚持“先民生、后提升”的原则，"
        "把居民反映最集中的漏水、积水和停车问题放在首位，每个小区在开工前都召开居民议事会，由居民投票确定改造清单，"
        "做到“改什么、怎么改，居民说了算”。"
    ),
    (
        "在城东区纺织新村，改造后的小区焕然一新。记者看到，原先坑洼不平的路面铺上了透水沥青，楼道里斑驳的墙面重新粉刷，"
        "楼前新建的口袋公园里，几位老人正在健身器材旁聊天。居民张秀兰今年72岁，住在5楼，她告诉记者：“以前下大雨，"
        "楼前的积水能没过脚踝，出门都要穿雨靴。现在雨水管和污水管分开了，下再大的雨也不积水了。今年楼里还装上了电梯，"
        "我这腿脚不好的人也能天天下楼转转。”"
    ),
    (
        "加装电梯是今年改造中居民呼声最高的项目之一。全市今年共完成既有住宅加装电梯213部，比去年增加81部。"
        "为解决加装电梯中“高低楼层意见难统一”的难题，临江市出台了加装电梯费用分摊指导标准，按楼层高低分档确定出资比例，"
        "低楼层住户少出资或不出资，同时对每部电梯给予20万元财政补贴，并允许居民提取住房公积金支付个人分摊费用。"
        "滨江区还试点“电梯代建代运营”模式，由专业公司垫资建设，居民按使用次数缴费，减轻了一次性出资的压力。"
    ),
    (
        "停车难是老旧小区的另一个“老大难”问题。今年的改造通过挖潜利用边角空地、拆除违章建筑、优化小区道路等方式，"
        "新增停车位5400余个，同步建设新能源汽车充电桩860个。西城区光明里小区将原先闲置的锅炉房拆除，改建为两层的立体停车楼，"
        "新增车位120个，还在一楼设置了电动自行车集中充电车棚，从根本上解决了电动车“飞线充电”和楼道停放带来的安全隐患。"
    ),
    (
        "雨污分流是今年改造中投资最大、施工难度最高的一项工程。许多老旧小区的雨水和污水共用一条管道，一到汛期就容易满溢倒灌。"
        "今年全市共改造雨污管网186公里，新建雨水花园和下沉式绿地4.6万平方米。滨江区望江小区在改造中把原来的硬质铺装改为透水砖，"
        "在楼栋之间修建了植草沟和蓄水池，收集的雨水经过简单处理后用于绿化浇灌和道路冲洗，每年可节约自来水约1.2万吨。"
    ),
    (
        "针对老旧小区老年居民比例高的特点，今年的改造把适老化和无障碍设施建设作为重点内容。各小区普遍在单元出入口增设坡道和扶手，"
        "在楼道内安装感应照明灯，对公共区域的台阶进行防滑处理，并在小区主要道路旁每隔一段距离设置休息座椅。"
        "城东区还为120户高龄、独居和失能老人家庭免费开展居家适老化改造，安装卫生间扶手、淋浴座椅和紧急呼叫装置，"
        "呼叫信号直接接入社区养老服务站，工作人员可在十分钟内上门查看。"
    ),
    (
        "在补齐硬件短板的同时，今年的改造还注重完善社区服务功能。全市结合小区改造新建和改造社区养老服务站32个、托育点15个、"
        "便民菜店和早餐点48个，打造“15分钟便民生活圈”。城西区幸福里社区利用改造腾出的空间建起了社区食堂，"
        "每天为辖区60岁以上老人提供午餐，老人凭卡就餐，每餐只需8元，80岁以上老人还可享受送餐上门服务。"
        "社区党委书记陈明说，食堂开业三个月来，日均就餐人数已超过260人次。"
    ),
    (
        "为确保工程质量，临江市建立了设计、施工、监理和居民代表四方联合验收机制，每个小区都聘请两到三名居民担任质量监督员，"
        "全程参与隐蔽工程检查和竣工验收。市住建局还开通了改造投诉热线和线上意见征集平台，今年以来共受理居民意见建议2300余条，"
        "办结率达到99%。对于施工中出现的噪声、扬尘、占道等问题，相关部门实行限时整改，一般问题在48小时内答复处理。"
    ),
    (
        "施工期间，各区尽量减少改造对居民生活的影响。施工单位普遍实行“一楼一策”，提前在楼道张贴施工计划和联系人电话，"
        "停水停电至少提前24小时通知；对行动不便的老人，社区志愿者上门帮助搬运物品、代买生活用品。城西区还在每个施工小区设立了"
        "临时便民服务点，提供雨具借用、快递代收和应急维修等服务。居民刘德福说：“施工那几个月虽然有些不方便，"
        "但工人师傅们都很注意，晚上从不施工，有什么问题找到现场负责人很快就能解决。”"
    ),
    (
        "改造完成后如何管好、用好，同样是居民关心的话题。过去不少老旧小区没有物业管理，改造后容易出现“一年新、两年旧、"
        "三年回到老样子”的情况。今年，临江市推行“改造一个、管好一个”，在改造的同时引入物业服务，对规模较小、"
        "难以单独聘请物业的小区，由街道组织相邻小区连片管理，或由社区居委会牵头成立居民自治管理小组。截至目前，"
        "已完成改造小区的物业管理覆盖率由改造前的41%提高到88%。"
    ),
    (
        "资金来源方面，今年的改造资金由中央补助、地方财政、专项债券、社会资本和居民出资共同承担，其中中央和省级补助资金"
        "3.2亿元，市、区两级财政投入4.1亿元，发行专项债券1.5亿元，引入社会资本和居民出资约0.8亿元。有关负责人表示，"
        "下一步将继续探索政府和社会资本合作模式，吸引供水、供气、通信等专营单位参与管线改造，减轻财政压力。"
    ),
    (
        "根据规划，明年临江市计划再改造老旧小区140个，惠及居民约4.8万户，力争到2027年底基本完成2000年以前建成的"
        "老旧小区改造任务。市住建局表示，明年将重点推进完整社区建设，进一步加强适老化改造和无障碍环境建设，"
        "推广海绵城市建设理念，同时加快历史文化街区内老旧住宅的保护性修缮，让更多居民在家门口感受到城市更新带来的变化。"
    ),
)
CORRECTIONS = (("居民满意度达到96.2%", "居民满意度达到96.5%"), ("计划再改造老旧小区140个", "计划再改造老旧小区150个"))
"""The replacement is the same article with two figures corrected, in its first and its last paragraph."""
FONT = "STSong-Light"
BODY_PT, LEADING_PT, TITLE_PT, MARGIN_PT = 10.5, 16.0, 16.0, 72.0
NO_LINE_START = "，。、；：？！）》」』”’%"
"""Punctuation that may not begin a line: it stays at the end of the line before, past the margin."""


def corrected(paragraphs: Sequence[str]) -> tuple[str, ...]:
    text = "\n".join(paragraphs)
    for old, new in CORRECTIONS:
        if old not in text:
            raise RuntimeError(f"the correction target {old!r} is not in the article")
        text = text.replace(old, new)
    return tuple(text.split("\n"))


def article_text(paragraphs: Sequence[str]) -> str:
    """The article as plain text, as the PDF shows it: title, dateline, paragraphs apart by blank lines."""
    return "\n\n".join([TITLE, DATELINE, *paragraphs])


def wrapped(text: str, size: float, width: float) -> list[str]:
    """``text`` cut into lines no wider than ``width`` (CJK text breaks between any two characters)."""
    lines, line = [], ""
    for char in text:
        if line and char not in NO_LINE_START and pdfmetrics.stringWidth(line + char, FONT, size) > width:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line] if line else lines


def article_pdf(paragraphs: Sequence[str]) -> tuple[bytes, int]:
    """The article as an A4 PDF set in reportlab's STSong-Light (title, dateline, then the paragraphs in 10.5 pt,
    first lines indented two characters, a blank line between paragraphs): its bytes and its page count."""
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    page_width, page_height = A4
    width = page_width - 2 * MARGIN_PT
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(TITLE)
    pages, y = 1, page_height - MARGIN_PT
    pdf.setFont(FONT, TITLE_PT)
    pdf.drawCentredString(page_width / 2, y, TITLE)
    y -= 2 * LEADING_PT
    pdf.setFont(FONT, BODY_PT)
    pdf.drawCentredString(page_width / 2, y, DATELINE)
    y -= 2 * LEADING_PT
    indent = 2 * BODY_PT
    for paragraph in paragraphs:
        first, *rest = wrapped(paragraph, BODY_PT, width - indent)
        lines = [(indent, first)] + [(0.0, line) for line in wrapped("".join(rest), BODY_PT, width)]
        for x, line in lines:
            if y < MARGIN_PT:
                pdf.showPage()
                pages += 1
                pdf.setFont(FONT, BODY_PT)
                y = page_height - MARGIN_PT
            pdf.drawString(MARGIN_PT + x, y, line)
            y -= LEADING_PT
        y -= LEADING_PT
    pdf.showPage()
    pdf.save()
    return buffer.getvalue(), pages


@dataclass(frozen=True)
class Article:
    """The article and its corrected version, as PDF bytes and as plain text."""

    pdf: bytes
    pdf_corrected: bytes
    text: str
    text_corrected: str
    pages: int
    chinese_chars: int
    chars: int

    @classmethod
    def make(cls) -> Article:
        pdf, pages = article_pdf(PARAGRAPHS)
        pdf_corrected, pages_corrected = article_pdf(corrected(PARAGRAPHS))
        if pages != 2 or pages_corrected != 2:
            raise RuntimeError(f"the article should fill two pages, not {pages} (corrected: {pages_corrected})")
        body = "".join(PARAGRAPHS)
        chinese = sum("\u4e00" <= char <= "\u9fff" for char in body)
        text, text_corrected = article_text(PARAGRAPHS), article_text(corrected(PARAGRAPHS))
        return cls(pdf, pdf_corrected, text, text_corrected, pages, chinese, len(body))


# --- uploads over HTTP ---------------------------------------------------------------------------------------

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
METADATA = {"title": TITLE, "date": DATE, "source": SOURCE}


def change(client: httpx.Client, send: Callable[[], httpx.Response], expected: int) -> dict[str, Any]:
    """One upload or delete: the server's took_ms, the client's wall time, the document's passages and the index
    version it answered with. Any other status than ``expected`` stops the run with the response's text."""
    started = time.perf_counter()
    response = send()
    wall_ms = 1000 * (time.perf_counter() - started)
    if response.status_code != expected:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: {response.status_code} {response.text}"
        )
    body = response.json()
    return {"took_ms": float(body["took_ms"]), "wall_ms": wall_ms, "passages": body["passages"], "index": body["index"]}


def post_pdf(client: httpx.Client, doc_id: str, pdf: bytes) -> dict[str, Any]:
    files = {"file": ("article.pdf", pdf, "application/pdf")}
    return change(
        client, lambda: client.post("/documents", files=files, data={"doc_id": doc_id, **METADATA}, headers=AUTH), 201
    )


def post_json(client: httpx.Client, doc_id: str, text: str) -> dict[str, Any]:
    body = {"text": text, "doc_id": doc_id, **METADATA}
    return change(client, lambda: client.post("/documents", json=body, headers=AUTH), 201)


def delete(client: httpx.Client, doc_id: str) -> dict[str, Any]:
    return change(client, lambda: client.delete(f"/documents/{doc_id}", headers=AUTH), 200)


def health(client: httpx.Client) -> dict[str, Any]:
    response = client.get("/health")
    response.raise_for_status()
    return response.json()


def expect_counts(client: httpx.Client, passages: int, documents: int, what: str) -> None:
    served = health(client)
    if (served["passages"], served["documents"]) != (passages, documents):
        raise RuntimeError(
            f"after {what}, /health reports {served['passages']} passages and {served['documents']} documents; "
            f"expected {passages} and {documents}"
        )


def http_upload_repeat(client: httpx.Client, article: Article, repeat: int) -> dict[str, dict[str, Any]]:
    """One repeat, leaving the index as it found it: the PDF uploaded under a new id, replaced by its corrected
    version, deleted; then the text as JSON under another new id, deleted. /health is checked after each step."""
    base = health(client)
    passages, documents = base["passages"], base["documents"]
    pdf_id, json_id = f"bench-pdf-{repeat}", f"bench-json-{repeat}"
    steps: dict[str, dict[str, Any]] = {}
    steps["pdf_upload"] = post_pdf(client, pdf_id, article.pdf)
    expect_counts(client, passages + steps["pdf_upload"]["passages"], documents + 1, "the PDF upload")
    steps["pdf_replace"] = post_pdf(client, pdf_id, article.pdf_corrected)
    expect_counts(client, passages + steps["pdf_replace"]["passages"], documents + 1, "the PDF replace")
    steps["pdf_delete"] = delete(client, pdf_id)
    expect_counts(client, passages, documents, "the PDF delete")
    steps["json_upload"] = post_json(client, json_id, article.text)
    expect_counts(client, passages + steps["json_upload"]["passages"], documents + 1, "the JSON upload")
    steps["json_replace"] = post_json(client, json_id, article.text_corrected)
    steps["json_delete"] = delete(client, json_id)
    expect_counts(client, passages, documents, "the JSON delete")
    return steps


def bench_http_uploads(base_url: str, article: Article, repeats: int) -> dict[str, Any]:
    """Every step of ``http_upload_repeat``, ``repeats`` times: medians of took_ms and wall time, the first
    repeat's (the first upload the server takes), and the passages each upload left in the index."""
    runs = []
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        base = health(client)
        for repeat in range(repeats):
            log(f"HTTP uploads: repeat {repeat + 1}/{repeats}")
            runs.append(http_upload_repeat(client, article, repeat))
    numbers = [
        {step: {k: v for k, v in figures.items() if k != "index"} for step, figures in run.items()} for run in runs
    ]
    return {
        "index_passages": base["passages"],
        "index_documents": base["documents"],
        "median": median_tree(numbers),
        "first": numbers[0],
        "max_wall_ms": {step: max(run[step]["wall_ms"] for run in numbers) for step in numbers[0]},
        "per_repeat": numbers,
    }


# --- uploads through the library -----------------------------------------------------------------------------


def embedded(library: Retriever, changed_passages: int) -> int:
    """Passages the change that produced ``library``'s index embedded, ``changed_passages`` being those of the
    documents it added or replaced. An index directory is rewritten whole, so the vectors it reused count every
    passage it kept; a Milvus collection is updated in place, so they count only the changed documents' passages
    that kept their text."""
    reused = library.manifest.extra["reused_vectors"]
    return int((changed_passages if library.settings.milvus_uri else library.manifest.passages) - reused)


def library_repeat(library: Retriever, article: Article, repeat: int) -> tuple[Retriever, dict[str, Any]]:
    """The PDF read, added under a new id, replaced by its corrected version, deleted, through ``Retriever``;
    stops the run unless the add embedded exactly the new document's passages."""
    doc_id = f"bench-library-{repeat}"
    max_bytes = library.settings.max_upload_bytes
    before = library.manifest.passages
    raw, read_s = timed(lambda: RawDocument.from_file("article.pdf", article.pdf, max_bytes, doc_id=doc_id, **METADATA))
    added, add_s = timed(lambda: library.add_documents([raw]))
    own = len(added.passages_of(doc_id))
    if added.manifest.passages != before + own or embedded(added, own) != own:
        raise RuntimeError(
            f"adding {own} passages to {before} gave {added.manifest.passages} passages and embedded "
            f"{embedded(added, own)} ({added.manifest.extra['reused_vectors']} vectors reused): "
            "only the new document's passages should be embedded"
        )
    fixed = RawDocument.from_file("article.pdf", article.pdf_corrected, max_bytes, doc_id=doc_id, **METADATA)
    replaced, replace_s = timed(lambda: added.add_documents([fixed]))
    replaced_embedded = embedded(replaced, len(replaced.passages_of(doc_id)))  # before the delete: a Milvus
    deleted, delete_s = timed(lambda: replaced.delete_documents([doc_id]))  # collection changes under every reader
    if deleted.manifest.passages != before:
        raise RuntimeError(f"after the delete the index holds {deleted.manifest.passages} passages, not {before}")
    figures = {
        "read_pdf_s": read_s,
        "add_s": add_s,
        "replace_s": replace_s,
        "delete_s": delete_s,
        "passages_before": before,
        "document_passages": own,
        "reused_vectors_on_add": added.manifest.extra["reused_vectors"],
        "embedded_on_add": embedded(added, own),
        "embedded_on_replace": replaced_embedded,
        "embedded_on_delete": embedded(deleted, 0),
        "add_stages_s": dict(added.manifest.extra["stage_seconds"]),
        "replace_stages_s": dict(replaced.manifest.extra["stage_seconds"]),
        "delete_stages_s": dict(deleted.manifest.extra["stage_seconds"]),
    }
    return deleted, figures


def bench_library(library: Retriever, article: Article, repeats: int, name: str) -> dict[str, Any]:
    runs = []
    for repeat in range(repeats):
        log(f"{name}: repeat {repeat + 1}/{repeats}")
        library, figures = library_repeat(library, article, repeat)
        runs.append(figures)
    return {"location": library.location, "median": median_tree(runs), "per_repeat": runs}


# --- searches while uploads run ------------------------------------------------------------------------------


def seed_questions() -> list[str]:
    questions = []
    for line in SEED_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip():
            question = json.loads(line)["question"].strip()
            if question:
                questions.append(question)
    return questions


@dataclass
class SearchLog:
    """What one search thread saw: per search, its start (s since the phase began), latency, status and index."""

    starts: list[float] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    cap_reached: bool = False


def search_thread(
    base_url: str, questions: Sequence[str], offset: int, limit: int, stop: threading.Event | None, origin: float
) -> SearchLog:
    """GET /search with the questions in turn (starting at ``offset``) until ``stop`` is set, at most ``limit``
    times; every answer other than 200, and every exception, is a failure."""
    record = SearchLog()
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        for i in range(limit):
            if stop is not None and stop.is_set():
                break
            question = questions[(offset + i) % len(questions)]
            started = time.perf_counter()
            try:
                response = client.get("/search", params={"q": question, "top_k": TOP_K})
                if response.status_code != 200:
                    record.failures.append(f"{response.status_code} {response.text[:300]}")
                    continue
                body = response.json()
                took_ms, index = float(body["took_ms"]), str(body["index"])
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:  # the connection, or a broken body
                record.failures.append(f"{type(exc).__name__}: {exc}")
                continue
            finally:
                record.starts.append(started - origin)
                record.latencies_ms.append(1000 * (time.perf_counter() - started))
            record.server_ms.append(took_ms)
            record.indexes.append(index)
        else:
            record.cap_reached = stop is not None
    return record


def run_searches(
    base_url: str, questions: Sequence[str], threads: int, limit: int, main: Callable[[float], Any] | None
) -> tuple[list[SearchLog], Any, float]:
    """``threads`` search threads; with ``main``, they search until ``main(origin)`` returns (at most ``limit``
    each), else ``limit`` searches each. Returns their logs, what ``main`` returned and the wall time."""
    stop = threading.Event() if main is not None else None
    logs: list[SearchLog | None] = [None] * threads
    origin = time.perf_counter()

    def work(index: int) -> None:
        logs[index] = search_thread(base_url, questions, index * 4, limit, stop, origin)

    workers = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    result = None
    try:
        if main is not None:
            result = main(origin)
    finally:
        if stop is not None:
            stop.set()
        for worker in workers:
            worker.join()
    wall = time.perf_counter() - origin
    if any(record is None for record in logs):
        raise RuntimeError("a search thread died without a log")
    return [record for record in logs if record is not None], result, wall


def upload_cycles(base_url: str, article: Article, cycles: int, origin: float) -> list[dict[str, Any]]:
    """``cycles`` times: the PDF uploaded under a new id, then deleted, each followed by a pause; each step with
    its interval (s since ``origin``) and the index version it answered with."""
    steps = []
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        for cycle in range(cycles):
            doc_id = f"bench-load-{cycle}"
            for name in ("upload", "delete"):
                started = time.perf_counter() - origin
                figures = post_pdf(client, doc_id, article.pdf) if name == "upload" else delete(client, doc_id)
                ended = time.perf_counter() - origin
                steps.append({"cycle": cycle, "step": name, "start_s": started, "end_s": ended, **figures})
                time.sleep(PAUSE_AFTER_CHANGE_S)
            log(f"searches under load: cycle {cycle + 1}/{cycles} done")
    return steps


def search_summary(logs: Sequence[SearchLog], wall: float) -> dict[str, Any]:
    latencies = [ms for record in logs for ms in record.latencies_ms]
    server = [ms for record in logs for ms in record.server_ms]
    return {
        "searches": len(latencies),
        "failed": sum(len(record.failures) for record in logs),
        "searches_per_s": len(latencies) / wall if wall else 0.0,
        **percentiles(latencies),
        "server_took_p50_ms": float(np.median(server)) if server else float("nan"),
    }


def bench_searches_during_uploads(
    base_url: str, article: Article, questions: Sequence[str], threads: int, cycles: int, baseline: int
) -> dict[str, Any]:
    """Searches alone (``baseline`` per thread), then searches from the same threads while the main thread runs
    ``cycles`` upload+delete cycles: failures, latencies (all, and those overlapping an upload or delete), the
    index versions seen and whether any thread saw an older index after a newer one."""
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        start_version = health(client)["index"]
    log(f"searches alone: {threads} threads × {baseline}")
    alone_logs, _, alone_wall = run_searches(base_url, questions, threads, baseline, None)
    log(f"searches under load: {threads} threads while {cycles} upload+delete cycles run")
    logs, steps, wall = run_searches(
        base_url,
        questions,
        threads,
        MAX_SEARCHES_PER_THREAD,
        lambda origin: upload_cycles(base_url, article, cycles, origin),
    )
    order = {start_version: 0} | {step["index"]: i + 1 for i, step in enumerate(steps)}
    seen = [version for record in logs for version in record.indexes]
    regressions = 0
    for record in logs:
        ranks = [order.get(version, -1) for version in record.indexes]
        regressions += sum(later < earlier for earlier, later in itertools.pairwise(ranks))
    intervals = [(step["start_s"], step["end_s"]) for step in steps]
    overlapping, between = [], []
    for record in logs:
        for start, ms in zip(record.starts, record.latencies_ms, strict=True):
            overlaps = any(start < end and start + ms / 1000 > begin for begin, end in intervals)
            (overlapping if overlaps else between).append(ms)
    uploads = [step for step in steps if step["step"] == "upload"]
    deletes = [step for step in steps if step["step"] == "delete"]
    failures = [failure for record in logs for failure in record.failures]
    return {
        "threads": threads,
        "cycles": cycles,
        "alone": search_summary(alone_logs, alone_wall),
        "during": search_summary(logs, wall),
        "overlapping_a_change": {"searches": len(overlapping), **percentiles(overlapping)},
        "between_changes": {"searches": len(between), **percentiles(between)},
        "failures_first": list(dict.fromkeys(failures))[:10],
        "cap_reached": any(record.cap_reached for record in logs),
        "index_versions_seen": len(set(seen)),
        "index_versions_served": len(order),
        "unknown_index_versions": sum(version not in order for version in set(seen)),
        "older_index_after_newer": regressions,
        "upload_took_ms_p50": float(np.median([step["took_ms"] for step in uploads])),
        "upload_wall_ms_p50": float(np.median([step["wall_ms"] for step in uploads])),
        "upload_wall_ms_max": float(max(step["wall_ms"] for step in uploads)),
        "delete_took_ms_p50": float(np.median([step["took_ms"] for step in deletes])),
        "delete_wall_ms_p50": float(np.median([step["wall_ms"] for step in deletes])),
        "changes_s": sum(end - begin for begin, end in intervals),
        "wall_s": wall,
        "steps": steps,
    }


# --- report --------------------------------------------------------------------------------------------------


STEP_NAMES = {
    "pdf_upload": "PDF upload, new id",
    "pdf_replace": "PDF replace (2 figures corrected)",
    "pdf_delete": "DELETE",
    "json_upload": "JSON upload, new id",
    "json_replace": "JSON replace (2 figures corrected)",
    "json_delete": "DELETE (JSON)",
}

LIBRARY_STEPS = {
    "add": "add_documents, new id",
    "replace": "add_documents, same id (2 figures corrected)",
    "delete": "delete_documents",
}


def targets_met(figures: dict[str, Any]) -> dict[str, bool]:
    upload_s = figures["http_uploads"]["median"]["pdf_upload"]["wall_ms"] / 1000
    load = figures["searches_during_uploads"]
    return {
        "upload_s": upload_s <= TARGETS["upload_s"],
        "failed_searches": load["during"]["failed"] + load["alone"]["failed"] <= TARGETS["failed_searches"],
    }


def summary(figures: dict[str, Any]) -> str:
    """The figures as a three-column table: section, what, value."""
    http, load, article = figures["http_uploads"], figures["searches_during_uploads"], figures["article"]
    rows = [
        (
            "article",
            "two-page A4 PDF",
            f"{article['chinese_chars']} Chinese characters ({article['chars']} in all), {article['pdf_bytes']} bytes",
        ),
        ("index", "before each upload", f"{http['index_passages']} passages, {http['index_documents']} documents"),
    ]
    for step, label in STEP_NAMES.items():
        median, first = http["median"][step], http["first"][step]
        value = (
            f"wall {median['wall_ms']:.0f} ms (first {first['wall_ms']:.0f}, max {http['max_wall_ms'][step]:.0f}), "
            f"took_ms {median['took_ms']:.0f}, {median['passages']:.0f} passages"
        )
        rows.append(("HTTP (median)", label, value))
    for name in ("library", "milvus_lite"):
        if name not in figures:
            continue
        median = figures[name]["median"]
        rows.append((name, "read PDF (RawDocument.from_file)", f"{1000 * median['read_pdf_s']:.0f} ms"))
        for step, label in LIBRARY_STEPS.items():
            count = median[f"embedded_on_{step}"]
            rows.append((name, label, f"{1000 * median[f'{step}_s']:.0f} ms, {count:.0f} passages embedded"))
        rows.append(
            (
                name,
                "add: passages before, new, vectors reused",
                f"{median['passages_before']:.0f}, {median['document_passages']:.0f},"
                + f" {median['reused_vectors_on_add']:.0f}",
            )
        )
        for step in LIBRARY_STEPS:
            stages = ", ".join(f"{stage} {seconds:.3f}" for stage, seconds in median[f"{step}_stages_s"].items())
            rows.append((name, f"{step}: stages (s)", stages))
    for phase in ("alone", "during"):
        p = load[phase]
        value = (
            f"{p['searches']:.0f} searches, {p['failed']:.0f} failed, p50 {p['p50_ms']:.1f}  p95 {p['p95_ms']:.1f}  "
            f"p99 {p['p99_ms']:.1f}  max {p['max_ms']:.1f} ms, {p['searches_per_s']:.1f}/s"
        )
        label = "no uploads" if phase == "alone" else f"{load['cycles']} upload+delete cycles"
        rows.append((f"GET /search, {load['threads']} threads", label, value))
    for part, label in (("overlapping_a_change", "overlapping an upload or delete"), ("between_changes", "between")):
        p = load[part]
        value = f"{p['searches']} searches, p50 {p['p50_ms']:.1f}  p95 {p['p95_ms']:.1f}  max {p['max_ms']:.1f} ms"
        rows.append((f"GET /search, {load['threads']} threads", f"… {label}", value))
    rows.append(
        (
            "under load",
            "upload / delete wall p50",
            f"{load['upload_wall_ms_p50']:.0f} / {load['delete_wall_ms_p50']:.0f} ms"
            + f" (upload max {load['upload_wall_ms_max']:.0f} ms)",
        )
    )
    rss = figures["server_rss_mib"]
    rows.append(
        (
            "server RSS (MiB)",
            "after start / uploads / load; peak",
            f"{rss['after_start']:.0f} / {rss['after_uploads']:.0f} / {rss['at_end']:.0f}; {rss['peak']:.0f}",
        )
    )
    rows.append(
        (
            "under load",
            "index versions seen / served",
            f"{load['index_versions_seen']} / {load['index_versions_served']}"
            + f" (unknown {load['unknown_index_versions']}, older after newer {load['older_index_after_newer']})",
        )
    )
    met = figures["targets_met"]
    rows.append(
        (
            "target",
            f"PDF upload ≤ {TARGETS['upload_s']:g} s (wall, median)",
            f"{http['median']['pdf_upload']['wall_ms'] / 1000:.2f} s: {'met' if met['upload_s'] else 'NOT met'}",
        )
    )
    failed = load["during"]["failed"] + load["alone"]["failed"]
    rows.append(("target", "failed searches = 0", f"{failed:.0f}: {'met' if met['failed_searches'] else 'NOT met'}"))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}" for a, b, c in rows)


# --- main ----------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark POST /documents and searches while documents change.")
    parser.add_argument("--repeats", type=int, help="uploads per figure, the median is reported (5; 2 with --quick)")
    parser.add_argument("--threads", type=int, default=4, help="search threads while uploads run (4)")
    parser.add_argument("--cycles", type=int, help="upload+delete cycles under search load (5; 2 with --quick)")
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer repeats and cycles, no Milvus Lite")
    parser.add_argument("--no-milvus", action="store_true", help="skip the uploads to a Milvus Lite collection")
    parser.add_argument("--port", type=int, help="server port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--json", type=Path, dest="json_out", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    args.repeats = sizes.repeats if args.repeats is None else args.repeats
    args.cycles = sizes.cycles if args.cycles is None else args.cycles
    args.baseline = sizes.baseline_searches_per_thread
    args.milvus = sizes.milvus and not args.no_milvus
    for name in ("repeats", "threads", "cycles"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    figures: dict[str, Any] = {"machine": machine()}
    article = Article.make()
    figures["article"] = {
        "pages": article.pages,
        "chinese_chars": article.chinese_chars,
        "chars": article.chars,
        "pdf_bytes": len(article.pdf),
        "title": TITLE,
    }
    questions = seed_questions()
    port = args.port or free_port()
    with tempfile.TemporaryDirectory(prefix="retriever-bench-uploads-") as tmp:
        work = Path(tmp)
        log("building the sample index for the server")
        _, build_s = timed(
            lambda: Retriever.build(CORPUS, work / "served", uploads_dir=work / "served.uploads", show_progress=False)
        )
        log(f"built in {build_s:.1f} s; starting the server on port {port}")
        uploads = {"RETRIEVER_UPLOADS_DIR": str(work / "served.uploads"), "RETRIEVER_ADMIN_TOKEN": ADMIN_TOKEN}
        with server(work / "served", port, work / "server.log", uploads) as (base_url, pid):
            try:
                rss = {"after_start": rss_mb(pid, "VmRSS")}
                figures["http_uploads"] = bench_http_uploads(base_url, article, args.repeats)
                rss["after_uploads"] = rss_mb(pid, "VmRSS")
                figures["searches_during_uploads"] = bench_searches_during_uploads(
                    base_url, article, questions, args.threads, args.cycles, args.baseline
                )
                rss |= {"at_end": rss_mb(pid, "VmRSS"), "peak": rss_mb(pid, "VmHWM")}
                figures["server_rss_mib"] = rss
            except RuntimeError:
                log("the server's log ends:\n" + "\n".join((work / "server.log").read_text().splitlines()[-20:]))
                raise
        log("building the sample index for the library")
        library = Retriever.build(CORPUS, work / "library", uploads_dir=work / "library.uploads", show_progress=False)
        figures["library"] = bench_library(library, article, args.repeats, "library")
        if args.milvus:
            log("building the sample collection in Milvus Lite")
            collection = Retriever.build(
                CORPUS,
                work / "m.db",
                milvus_collection="bench",
                uploads_dir=work / "m.uploads",
                show_progress=False,
            )
            figures["milvus_lite"] = bench_library(collection, article, args.repeats, "Milvus Lite")
    figures["run"] = {
        "repeats": args.repeats,
        "threads": args.threads,
        "cycles": args.cycles,
        "baseline_searches_per_thread": args.baseline,
        "quick": args.quick,
        "questions": str(SEED_FILE.relative_to(PROJECT_ROOT)),
        "question_count": len(questions),
        "top_k": TOP_K,
    }
    figures["targets"] = TARGETS
    figures["targets_met"] = targets_met(figures)
    print(summary(figures))
    if args.json_out:
        args.json_out.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
