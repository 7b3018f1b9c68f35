"""The optional cross-encoder reranker, with a small CrossEncoder made from the bundled encoder's weights."""

import numpy as np
import pytest
import torch
from sentence_transformers import CrossEncoder

from retriever.model.embed import resolve_model
from retriever.reading.segment import matching_text
from tests.conftest import open_searcher


@pytest.fixture(scope="module")
def reranker_dir(tmp_path_factory, encoder, settings):
    """A CrossEncoder on the e5 weights with a fixed random scoring head: untrained, but a real model."""
    torch.manual_seed(0)
    model = CrossEncoder(resolve_model(settings.model, settings.models_dir), num_labels=1, device="cpu")
    with torch.no_grad():
        for parameter in model.model.classifier.parameters():
            parameter.normal_(0, 0.5)
    path = tmp_path_factory.mktemp("reranker")
    model.save(str(path))
    return path


def test_reranker_orders_the_top_passages_by_its_scores(sample_index, settings, encoder, reranker_dir):
    reranking = settings.model_copy(update={"reranker": str(reranker_dir), "rerank_depth": 8})
    searcher = open_searcher(sample_index, reranking, encoder)
    query = "阿拉善盟现有建档立卡脱贫户多少户？"
    hits = searcher.search(query, top_k=5)
    expected = CrossEncoder(str(reranker_dir), device="cpu").predict(
        [(query, matching_text(hit.passage)) for hit in hits], show_progress_bar=False
    )
    assert [h.score for h in hits] == pytest.approx(expected.tolist(), abs=1e-4)
    assert np.all(np.diff([h.score for h in hits]) <= 1e-6)


def test_a_missing_reranker_is_a_clear_error(sample_index, settings, encoder, tmp_path):
    missing = settings.model_copy(update={"reranker": str(tmp_path / "no-such-model")})
    with pytest.raises(RuntimeError, match="cannot load reranker"):
        open_searcher(sample_index, missing, encoder)
