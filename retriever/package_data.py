"""Files the package ships and reads at run time (the gazetteer, the domain terms, the glossary, the fitted fusion
weights and the answer reader), found through ``importlib.resources`` so that an installed wheel finds them too."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def data_file(*parts: str) -> Path:
    """The path of ``retriever/data/<parts>``: the package is installed as files, never zipped, so it is a path on
    disk that ONNX Runtime and the training scripts can open and write."""
    return Path(str(files("retriever").joinpath("data", *parts)))
