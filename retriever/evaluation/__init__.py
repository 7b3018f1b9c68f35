"""Evaluation and fitting: question sets, retrieval and answer figures, and the scripts' fitting of the fusion
weights and the reader. Imports answers and below."""
