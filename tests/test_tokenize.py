"""The BM25 tokenizer: jieba search mode over the normalised text, with the domain dictionary."""

from retriever.tokenize import add_words, domain_words, tokenize


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


def test_taught_words_become_one_token():
    word = "赉格斯台嘎查"  # no other test teaches it: the tokenizer is shared by the process
    assert word not in tokenize(f"{word}的牧民")
    add_words([word])
    assert word in tokenize(f"{word}的牧民")


def test_runs_joined_by_punctuation_split_as_python_jieba_does():
    assert tokenize("2016-09-09发布，增长12.5%，见zh-cn版") == [
        "2016", "09", "09", "发布", "增长", "12.5%", "见", "zh", "cn", "版"
    ]


def test_punctuation_and_spaces_are_not_tokens():
    assert tokenize("  ，。！——") == []
