"""The wheel: it carries every file the package reads at run time, and installed outside the checkout it builds an
index, searches it and answers from it, through the ``retriever`` command and through the Python API."""

import json
import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from retriever.package_data import data_file

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    command = ["pip", "wheel", str(PROJECT_ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)]
    subprocess.run([sys.executable, "-m", *command], check=True, capture_output=True)
    (built,) = out.glob("*.whl")
    return built


def test_the_wheel_holds_the_runtime_data(wheel):
    assert wheel.name.startswith("zh_retriever-")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = sorted(path for path in data_file().rglob("*") if path.is_file() and "__pycache__" not in path.parts)
    assert len(shipped) >= 12
    inside = [f"retriever/data/{path.relative_to(data_file()).as_posix()}" for path in shipped]
    assert [name for name in inside if name not in names] == []


def _environment_with(wheel: Path, root: Path) -> Path:
    """A new virtual environment holding the wheel; its dependencies are this environment's, reached through a
    ``.pth`` file (which adds the paths alone: this environment's editable install of the checkout stays out)."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    own_site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(own_site) / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    install = [python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)]
    subprocess.run(install, check=True, capture_output=True)
    return venv


def test_the_installed_wheel_indexes_searches_and_answers_from_another_directory(wheel, tmp_path):
    venv = _environment_with(wheel, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    corpus = elsewhere / "articles"
    corpus.mkdir(parents=True)
    (corpus / "alxa.txt").write_text("阿拉善盟现有建档立卡脱贫户3906户9461人，全部实现脱贫。", encoding="utf-8")
    (corpus / "baoding.txt").write_text("宝顶村硬化村组道路7.7公里，新建便民桥2座。", encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("RETRIEVER_", "PYTHON"))}
    env["XDG_DATA_HOME"] = str(tmp_path / "user-data")  # the default index lives in the user data directory

    def run(*command: str | Path) -> str:
        done = subprocess.run(command, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "indexed 2 documents" in run(venv / "bin" / "retriever", "build", "--corpus", "articles")
    assert (tmp_path / "user-data" / "retriever" / "index" / "manifest.json").is_file()

    asked = json.loads(run(venv / "bin" / "retriever", "ask", "阿拉善盟现有建档立卡脱贫户多少户？", "--json"))
    assert asked["evidence"][0]["doc_id"] == "alxa" and "3906户" in asked["sentence"]

    script = """
import json, retriever
from retriever import Retriever, Settings
library = Retriever.open()
hits = library.search("宝顶村硬化了多少公里道路？", top_k=1)
print(json.dumps({"package": retriever.__file__, "corpus": str(Settings().corpus_dir),
                  "doc_id": hits[0].doc_id, "answer": library.ask("宝顶村硬化了多少公里道路？").sentence}))
"""
    found = json.loads(run(venv / "bin" / "python", "-c", script))
    assert Path(found["package"]).is_relative_to(venv), "the installed copy, not the checkout"
    assert Path(found["corpus"]).is_relative_to(venv) and (Path(found["corpus"]) / "000_e549fdcf45b4778b.txt").is_file()
    assert found["doc_id"] == "baoding" and "7.7公里" in found["answer"]
