"""Fitting the fusion weight per language: the choice, and cross-validation that never scores a fold with its own
choice."""

from retriever.evaluation.fusion_fitting import Trial, best_alpha, fit_fusion

GRID = (0.3, 0.5, 0.7)


def trial(language, fold, ranks, set_name="set"):
    return Trial(set_name, language, fold, dict(zip(GRID, ranks, strict=True)))


def test_best_alpha_maximises_mrr_then_prefers_an_even_split():
    trials = [trial("en", 0, (3, 2, 1)), trial("en", 1, (None, 1, 1))]
    assert best_alpha(trials, GRID) == 0.7
    assert best_alpha([trial("zh", 0, (1, 1, 1))], GRID) == 0.5


def test_each_language_gets_its_own_weight_and_folds_are_scored_with_the_other_folds_choice():
    trials = [
        trial("en", 0, (2, 2, 1)),
        trial("en", 1, (2, 1, 3)),
        trial("en", 1, (2, 1, 3)),
        trial("zh", 0, (1, 2, 2)),
        trial("zh", 1, (1, 2, 2)),
    ]
    fitted = fit_fusion(trials, GRID)
    assert fitted["alpha"] == {"en": 0.5, "zh": 0.3}
    english = fitted["cross_validated"]["set (en)"]
    # fold 0 is scored at fold 1's choice (0.5: rank 2), fold 1 at fold 0's choice (0.7: rank 3 twice)
    assert english["fold_alphas"] == [0.5, 0.7]
    assert english["hit@1"] == 0
    assert english["mrr@10"] == round((1 / 2 + 2 / 3) / 3, 4)
    assert english["in_sample_mrr@10"] == round((1 / 2 + 1 + 1) / 3, 4)
    assert fitted["cross_validated"]["set (zh)"]["hit@1"] == 1
