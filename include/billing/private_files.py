"""Files that may hold PHI: 0600 files in 0700 folders, from the first byte on.

Every place the project writes claim, patient or report data goes through these two
helpers (or opens with mode 0600 itself), so the mode never depends on the caller's umask.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: str | os.PathLike) -> Path:
    """Create `path` and every missing parent as 0700; an existing leaf folder is narrowed to 0700."""
    path = Path(path)
    missing = []
    for folder in [path, *path.parents]:
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):        # mkdir -p would give the parents the umask's mode
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass
        folder.chmod(DIR_MODE)
    if path.stat().st_mode & 0o077:
        path.chmod(DIR_MODE)
    return path


def write_private(path: str | os.PathLike, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write `data` to `path` as a 0600 file (created or truncated; an existing file is narrowed)."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fd = -1
            fh.write(data.encode(encoding) if isinstance(data, str) else data)
    finally:
        if fd >= 0:
            os.close(fd)
    return path


def make_private(path: str | os.PathLike) -> Path:
    """Narrow a file some library wrote (a chart, a workbook, a PDF) to 0600."""
    path = Path(path)
    os.chmod(path, FILE_MODE)
    return path
