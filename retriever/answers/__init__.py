"""Answers: evidence sentences, span features, the learned span reader and its calibrated confidence.
Imports ranking and below."""
