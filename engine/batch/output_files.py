"""The files a batch writes, written so that nothing is lost or half-written.

A run's files are its output, the member table beside a CSV or Parquet output, its errors
file (``x.parquet`` → ``x.parquet.errors.jsonl``, so outputs in different formats never
share one) and its sidecar (``x.parquet.meta.json``). Before anything is read or written
they are checked: each is a different file, none is an input or lies inside an input
folder, none is a folder. Each target is locked (a second run writing the same file at
the same time is refused), and everything is written to temporary files in the target's
folder (``.x.parquet.<pid>.tmp``). Only when the whole run has succeeded are they renamed
into place, the old sidecar first removed and the new one renamed last, so a sidecar
that is present belongs to the files beside it. A run that fails, is interrupted or is
refused leaves the previous files as they were.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from engine.base.diagnostics import Diagnostic, DiagnosticError, Span

SUFFIXES = (".jsonl", ".ndjson", ".csv", ".parquet")


def member_path(out: Path) -> Path:
    """The member table beside a CSV or Parquet output: ``x.parquet`` → ``x.members.parquet``."""
    return out.with_name(f"{out.stem}.members{out.suffix}")


def default_errors_path(out: Path) -> Path:
    """The errors file of an output: ``x.parquet`` → ``x.parquet.errors.jsonl``."""
    return out.with_name(out.name + ".errors.jsonl")


def sidecar_path(out: Path) -> Path:
    return out.with_name(out.name + ".meta.json")


def refuse(path: Path | str, message: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic("E-IO", message, Span(str(path), 1, 1))])


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_apart(targets: dict[str, Path], sources: Sequence[Path]) -> None:
    """Refuse targets that are the same file, are folders, or are (or lie inside) an input."""
    seen: dict[Path, str] = {}
    for role, path in targets.items():
        real = path.resolve()
        if real in seen:
            raise refuse(path, f"the {role} and the {seen[real]} would be the same file ({path}); name them apart")
        seen[real] = role
        if path.is_dir():
            raise refuse(path, f"the {role} {path} is a folder; give a file name")
        for source in sources:
            if str(source) == "-":
                continue
            real_source = source.resolve()
            same = path.exists() and source.exists() and os.path.samefile(path, source)
            if same or _inside(real, real_source):
                raise refuse(path, f"the {role} {path} would overwrite the input {source}; write it elsewhere")


@dataclass
class Target:
    """One file of a run: where it goes and the temporary file written until the run succeeds."""

    path: Path
    temporary: Path = field(init=False)

    def __post_init__(self) -> None:
        self.temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")


class OutputFiles:
    """A run's files, locked and written to temporary files, renamed into place by ``commit``."""

    def __init__(self, targets: dict[str, Path], sources: Sequence[Path], sidecar: str = "sidecar") -> None:
        check_apart(targets, sources)
        self.targets = {role: Target(path) for role, path in targets.items()}
        self.sidecar = sidecar
        self.locks: list[Lock] = []

    def path(self, role: str) -> Path:
        """Where to write a file now (its temporary file)."""
        return self.targets[role].temporary

    def __enter__(self) -> OutputFiles:
        try:
            for target in sorted(self.targets.values(), key=lambda t: str(t.path)):
                self._lock(target.path)
            for target in self.targets.values():
                target.temporary.open("wb").close()  # can it be written at all? (before reading anything)
        except BaseException:
            self.abort()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.abort()

    def _lock(self, path: Path) -> None:
        self.locks.append(Lock(path))

    def commit(self) -> None:
        """Rename every file into place: the old sidecar removed first, the new one last."""
        try:
            sidecar = self.targets.get(self.sidecar)
            if sidecar is not None:
                with contextlib.suppress(FileNotFoundError):
                    sidecar.path.unlink()
            for role, target in self.targets.items():
                if role != self.sidecar:
                    os.replace(target.temporary, target.path)
            if sidecar is not None:
                os.replace(sidecar.temporary, sidecar.path)
        except OSError as error:
            self.abort()
            raise refuse(error.filename or "", f"cannot put the output in place: {error.strerror or error}") from None
        self._unlock()

    def abort(self) -> None:
        """Remove the temporary files; the files in place stay as they were."""
        for target in self.targets.values():
            with contextlib.suppress(OSError):
                target.temporary.unlink()
        self._unlock()

    def _unlock(self) -> None:
        for lock in self.locks:
            lock.release()
        self.locks = []


class Lock:
    """An exclusive lock on a target (``.x.parquet.lock`` beside it), taken at once or refused."""

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.path = path.with_name(f".{path.name}.lock")
            self.stream: IO[bytes] | None = self.path.open("ab")
        except OSError as error:
            raise refuse(path, f"cannot write {path}: {error.strerror or error}") from None
        try:
            fcntl.flock(self.stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.fstat(self.stream.fileno()).st_ino != os.stat(self.path).st_ino:
                raise OSError("the lock file was replaced by another run")  # it finished and removed it
        except OSError:
            self.stream.close()
            raise refuse(path, f"another run is writing {path} now; wait for it to finish") from None

    def release(self) -> None:
        if self.stream is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()
            self.stream.close()
            self.stream = None

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()

