"""The whole cleaning chain, file to passages, on the sample corpus and generated files."""

from retriever.config import Settings
from retriever.indexes.build import passages_of
from retriever.indexes.lexical import LexicalIndex
from retriever.query.tokenize import Tokenizer
from retriever.reading.loader import iter_corpus

from .conftest import SAMPLE_CORPUS
from .test_formats import make_pdf

FURNITURE = ["您现在的位置", "Copyright", "版权所有", "验证码", "分享到", "打印", "相关新闻", "附件下载", "站长统计", "百度一下"]


def sample_passages():
    documents = {d.doc_id: d for d in iter_corpus(SAMPLE_CORPUS)}
    return documents, passages_of(documents.values(), Settings())


def test_no_web_page_passage_carries_navigation_or_footer_text():
    _, passages = sample_passages()
    web = [p for p in passages if p.doc_id[:3] in {"001", "002", "003"}]
    assert web
    for passage in web:
        assert not [word for word in FURNITURE if word in passage.text], passage.text


def test_line_paragraph_article_gives_one_passage_per_line():
    _, passages = sample_passages()
    lines = [line.strip() for line in (SAMPLE_CORPUS / "004_64cb860ea6044d58.txt").read_text().splitlines() if line.strip()]
    assert [p.text for p in passages if p.doc_id.startswith("004")] == lines


def test_captions_stay_out_of_passages_but_in_the_document():
    documents, passages = sample_passages()
    caption = "图一:3月13日至14日"
    assert caption in documents["002_e14637a2b13cd27a"].text
    assert not any(caption in p.text for p in passages)


def test_metadata_reaches_documents_and_passages():
    documents, passages = sample_passages()
    sichuan = documents["003_761d59348c6a58d7"]
    assert (sichuan.title, sichuan.date, sichuan.source) == ("助力脱贫攻坚 彰显责任担当", "2016-09-09", "四川人大网")
    assert all(p.title == sichuan.title for p in passages if p.doc_id == sichuan.doc_id)


def test_hard_wrapped_pdf_comes_back_as_paragraphs(tmp_path):
    first = (
        "全县政法各单位牢固树立政治学习是政法队伍素质提升专项行动首要任务的思想，通过各种方式扎实推进政治理论学习。"
        "政法各单位采取集中专题学习、个人自学等方式，深入开展学习教育活动。"
    )
    second = (
        "为进一步提高政法干部的综合素质和专业能力，县委政法委组织召开全县政法队伍素质提升专项行动政治轮训和业务培训会，"
        "县人民法院、县人民检察院、县司法局领导班子成员及全体干部共计120余人参加了培训。"
    )
    wrap = 18
    lines = [first[i : i + wrap] for i in range(0, len(first), wrap)] + [""]
    lines += [second[i : i + wrap] for i in range(0, len(second), wrap)]
    corpus = tmp_path / "pdfs"
    corpus.mkdir()
    make_pdf(corpus / "article.pdf", [lines])
    (document,) = iter_corpus(corpus)
    assert document.text.split("\n\n") == [first, second]


def test_traditional_characters_match_simplified_text():
    index = LexicalIndex.build(["额济纳旗巴彦陶来苏木人大代表成立了合作社"], Tokenizer(), k1=0.6, b=0.4)
    assert index.scores("額濟納旗人大代表")[0] > 0
