"""The C++ Milvus engine for the Milvus tests: the ``milvus`` server (segcore, knowhere) that the milvus-lite 2.5.1
wheel ships, run as a TCP server the way a cluster is reached. The wheel is fetched from the package registry into
the cache once; nothing of it is installed."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CPP_ENGINE_RELEASE = "2.5.1"
START_SECONDS = 60


def cpp_engine_binary(cache_dir: Path) -> Path:
    """The engine's ``milvus`` executable, fetched (``pip download``) and unpacked under ``cache_dir`` once."""
    home = cache_dir / f"milvus-lite-{CPP_ENGINE_RELEASE}"
    binary = home / "milvus_lite" / "lib" / "milvus"
    if binary.is_file():
        return binary
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as scratch:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"milvus-lite=={CPP_ENGINE_RELEASE}", "--no-deps",
             "--only-binary=:all:", "-q", "-d", scratch],
            check=True, capture_output=True, timeout=900,
        )
        (wheel,) = Path(scratch).glob("milvus_lite-*.whl")
        unpacked = Path(scratch) / "unpacked"
        zipfile.ZipFile(wheel).extractall(unpacked)
        (unpacked / "milvus_lite" / "lib" / "milvus").chmod(0o755)
        shutil.rmtree(home, ignore_errors=True)
        unpacked.rename(home)
    return binary


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def cpp_engine_server(binary: Path, data_dir: Path) -> Iterator[str]:
    """A running engine storing its data in ``data_dir``; yields its URI and stops it afterwards."""
    port = _free_port()
    env = {**os.environ, "LD_LIBRARY_PATH": f"{binary.parent}:{os.environ.get('LD_LIBRARY_PATH', '')}"}
    log = (data_dir / "milvus.log").open("wb")
    process = subprocess.Popen(
        [str(binary), str(data_dir / "engine.db"), f"127.0.0.1:{port}", "ERROR"],
        cwd=data_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the engine exited with status {process.returncode}: see {data_dir / 'milvus.log'}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the engine did not listen on port {port} within {START_SECONDS} s") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
