"""The wheel carries every file the package reads at run time, so an installed copy finds them."""

import subprocess
import sys
import zipfile
from pathlib import Path

from retriever.package_data import data_file

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_the_runtime_data(tmp_path):
    command = ["pip", "wheel", str(PROJECT_ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)]
    subprocess.run([sys.executable, "-m", *command], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = sorted(path for path in data_file().rglob("*") if path.is_file())
    assert len(shipped) >= 7
    inside = [f"retriever/data/{path.relative_to(data_file()).as_posix()}" for path in shipped]
    assert [name for name in inside if name not in names] == []
