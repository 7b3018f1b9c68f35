"""Ranking: the searcher (candidates from an index, fusion, the answer-type check, de-duplication, highlights).
Imports indexes and below."""
