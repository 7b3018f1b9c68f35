"""The query side: the BM25 tokenizer, place-name aliases, English-to-Chinese translation, amounts, part-of-speech
tags and the expansion of a question into what dense and lexical search look for. Imports reading and below."""
