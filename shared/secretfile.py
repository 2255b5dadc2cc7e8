"""Files that hold a secret (the development API key, the generated secrets key): created once,
atomically, readable by their owner only.

The file is written under a temporary name opened with mode 0600 (never wider, whatever the
umask), then linked to its name: the first process to link wins and every process starting at
the same time reads the same secret; nobody ever sees a half-written file. A file left by an
older version with wider permissions is narrowed to 0600 when read.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

OWNER_ONLY = 0o600


def read_or_create(path: Path, make: Callable[[], str]) -> str:
    """The secret stored at `path`, created with `make()` if there is none yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), OWNER_ONLY)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(make() + "\n")
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, path)  # fails if another process created it first: theirs wins
            except FileExistsError:
                pass
            except OSError as exc:  # a filesystem without hard links
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                    raise
                if not path.exists():
                    os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    narrow(path)
    return path.read_text().strip()


def narrow(path: Path) -> None:
    """Make `path` readable and writable by its owner only, if it is not already."""
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        os.chmod(path, OWNER_ONLY)
