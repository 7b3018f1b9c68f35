"""The BM25 tokenizer: jieba search mode over the normalised text, with the domain dictionary and, per index, the
abbreviations mined from its corpus."""

from retriever.query.tokenize import Tokenizer, default_tokenizer, domain_words

tokenize = default_tokenizer().tokenize


def test_search_mode_adds_the_words_inside_a_long_one():
    tokens = tokenize("中华人民共和国成立")
    assert "中华人民共和国" in tokens
    assert {"中华", "人民", "共和国"} <= set(tokens)


def test_text_is_normalised_before_cutting():
    assert tokenize("脫貧攻堅ＧＤＰ") == tokenize("脱贫攻坚gdp")


def test_domain_words_stay_whole():
    banner = "土默特右旗"
    assert banner in domain_words()
    assert banner in tokenize(f"{banner}268户590人已全部脱贫")


def test_an_index_words_are_its_own():
    word = "赉格斯台嘎查"
    text = f"{word}的牧民"
    own = Tokenizer.for_aliases([(word, "赉格斯台嘎查村民委员会")])
    assert word in own.tokenize(text)
    assert word not in Tokenizer().tokenize(text)
    assert word not in tokenize(text), "another index's words never reach the default tokenizer"


def test_worker_processes_cut_with_the_index_words():
    own = Tokenizer(["赉格斯台嘎查"])
    texts = ["赉格斯台嘎查的牧民", "乌拉特中旗现有建档立卡脱贫户3906户。"] * 3
    assert list(own.tokenize_many(texts, processes=2)) == [own.tokenize(text) for text in texts]


def test_runs_joined_by_punctuation_split_as_python_jieba_does():
    assert tokenize("2016-09-09发布，增长12.5%，见zh-cn版，formula_1") == [
        "2016", "09", "09", "发布", "增长", "12.5%", "见", "zh", "cn", "版", "formula", "1"
    ]


def test_punctuation_and_spaces_are_not_tokens():
    assert tokenize("  ，。！——") == []
