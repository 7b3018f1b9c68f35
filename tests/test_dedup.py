from retriever.ranking.dedup import near_duplicate, shingles


def test_repeated_sentence_with_other_punctuation_is_a_near_duplicate():
    a = shingles("包头市人大常委会主任徐德林(左二)到土右旗调研脱贫攻坚工作。")
    b = shingles("包头市人大常委会主任徐德林（左二）到土右旗调研脱贫攻坚工作")
    assert near_duplicate(a, b)


def test_a_passage_containing_a_short_one_covers_it():
    short = shingles("全盟现有建档立卡脱贫户3906户9461人。")
    long = shingles("到2020年11月，建档立卡动态调整后，全盟现有建档立卡脱贫户3906户9461人，无未脱贫户、返贫户。")
    assert near_duplicate(short, long)


def test_different_facts_are_not_duplicates():
    assert not near_duplicate(shingles("土右旗268户590人全部脱贫退出。"), shingles("阿拉善盟现有脱贫户3906户9461人。"))
