"""How a hostile case is laid out on disk and run through the real command line.

A case's ``files`` go into ``batch/`` beside a good record (``good.yaml``) and a
``batch.yaml``, unless their name starts with ``../`` (then beside the batch
folder). A value may be text, bytes, or one of these:

- a name ending in ``/`` makes a folder; one ending in ``@`` a symlink to the value;
- :data:`FIFO` and :data:`SOCKET` make a named pipe and a bound Unix socket;
- a callable is called with the path and writes the file itself (workbooks).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GOOD_BATCH = "region: 测试区\nfiscal_year: 2023\n"
GOOD_RECORD = (
    "id: good-record\nname: 对照项目\ntype: 专项\nunits: [对照单位]\nbudget: 100\nspent: 50\n"
)
HEAD = "id: bad-record\nname: 问题项目\ntype: 专项\nunits: [某单位]\n"
FIFO, SOCKET = object(), object()
RUN = ["run", "batch", "--format", "json"]

Content = str | bytes | object | Callable[[Path], None]


@dataclass
class Case:
    """Files beside a good record, the command, and what must come out."""

    id: str
    files: dict[str, Content]
    code: int
    fragment: str | None  # must be on stderr, on a line starting with prefix; None: stderr empty
    args: list[str] = field(default_factory=list)
    batch: str | None = GOOD_BATCH  # None: no batch.yaml at all
    command: list[str] = field(default_factory=lambda: list(RUN))
    env: dict[str, str] = field(default_factory=dict)
    check: Callable[[subprocess.CompletedProcess[str], Path], None] | None = None
    prefix: str = "batch"  # where the lines holding the fragment start (the file they name)
    good: bool = True  # stdout is JSON holding the good record's finding

    @property
    def plain(self) -> bool:
        """The default command on the default batch: it can join the --jobs comparison."""
        simple = self.command == RUN and not self.args and not self.env and self.check is None
        return simple and self.good and not any(n.startswith("../") for n in self.files)


def build(folder: Path, case: Case) -> None:
    """Lay the case out in ``folder`` (which becomes the working directory)."""
    batch = folder / "batch"
    batch.mkdir(parents=True)
    if case.batch is not None:
        (batch / "batch.yaml").write_text(case.batch, "utf-8")
    (batch / "good.yaml").write_text(GOOD_RECORD, "utf-8")
    for name, content in case.files.items():
        path = folder / name[3:] if name.startswith("../") else batch / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith("/"):
            path.mkdir()
        elif name.endswith("@"):
            path.with_name(path.name.rstrip("@")).symlink_to(str(content))
        elif content is FIFO:
            os.mkfifo(path)
        elif content is SOCKET:
            server = socket.socket(socket.AF_UNIX)
            server.bind(str(path))  # left bound: the file stays a socket while the case runs
            _SOCKETS.append(server)
        elif callable(content):
            content(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(str(content), "utf-8")


_SOCKETS: list[socket.socket] = []


def cli(args: list[str], cwd: Path, env: dict[str, str] | None = None, **kw: Any) -> Any:
    """The real command line in a subprocess, as a user or CI would run it."""
    return subprocess.run(
        [sys.executable, "-m", "auditcheck", *args],
        cwd=cwd,
        capture_output="stdout" not in kw,
        stderr=subprocess.PIPE if "stdout" in kw else None,
        text=True,
        encoding="utf-8",
        env={"PATH": os.environ.get("PATH", ""), "PYTHONIOENCODING": "utf-8", **(env or {})},
        timeout=120,
        check=False,
        **kw,
    )
