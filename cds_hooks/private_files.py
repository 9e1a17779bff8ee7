"""Files only the service's own user can read: the SQLite database (clinicians' comments) and the id-hash secret.

Permissions are set explicitly, not left to the umask, which is often 022 (world-readable files).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


def private_file(path: Path, *, companions: Sequence[str] = ()) -> None:
    """Create `path` if missing, readable and writable by its owner only (0600), in a directory we create 0700.

    A directory that already exists is the operator's choice and left alone. `companions` are suffixes of files
    that live beside `path` (SQLite's `-wal` and `-shm`): existing ones are made 0600 too. SQLite creates those
    with the database file's own permissions, so a private database file keeps them private from the start.
    """
    private_directory(path.parent)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in companions)):
        if candidate.exists():
            os.chmod(candidate, 0o600)


def private_directory(path: Path) -> None:
    """Create `path` (and any missing parents) if missing, the directory itself 0700; an existing one is left alone.

    Anything that creates a directory under the data directory (the multiprocess metrics folder of `serve
    --workers N`) must create the data directory this way first, or the umask decides its mode.
    """
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, 0o700)
