"""A release: every file of one build put in place together, the one before kept one level back.

A build writes its map, report, pictures and GIS file into a hidden folder beside the map
(``.<map>.new-<id>``), each file flushed to disk. Nothing the folder showed has changed yet:
killed here, the folder still holds the whole previous release. Then one atomic step decides
the release: a commit record (``.<map>.commit.json``) is written and renamed into place.
From that moment the new release is the folder's, and putting its files in place is a
roll-forward from the record, each file by an atomic rename over the old one: the same build
does it at once, and if it was killed in those few milliseconds the next ``patrolmap build``
or ``patrolmap audit`` of the folder finishes it before doing anything else. So a folder
holds one whole release or the one before it, never a new map beside an old report.

The release replaced is kept one level back, in ``.previous/<map>/`` beside the map, with
its record; ``<map>.release.json`` (hidden, ``.<map>.release.json``) records what each
release holds (file names, sizes, SHA-256), when it was built and which release it replaced.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from geo._errors import UsageError

__all__ = ["Release", "Placed", "check_outputs", "recover", "record_path"]

PREVIOUS = ".previous"


def record_path(folder: Path, name: str) -> Path:
    """Where the record of release ``name`` (a map's stem) in ``folder`` is kept."""
    return folder / f".{name}.release.json"


def _commit_path(folder: Path, name: str) -> Path:
    return folder / f".{name}.commit.json"


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be synced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json(path: Path, data: dict) -> None:
    """Write ``data`` to ``path`` atomically and durably."""
    part = path.with_name(path.name + ".part")
    with part.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())
    part.replace(path)
    _fsync_dir(path.parent)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)  # the same inode: a hard link, another spelling
    except OSError:
        return False


def check_outputs(outputs: Mapping[str, Path], inputs: Iterable[Path]) -> None:
    """Refuse a run whose output (by option name) is one of its inputs, or would replace,
    move or delete one: compared by resolved path and by inode."""
    sources = [Path(p) for p in inputs]
    for option, out in outputs.items():
        out = Path(out)
        for source in sources:
            if _same_file(out, source):
                msg = (f"{option} {out}: that is an input of this run ({source}); writing it "
                       "would replace the input. Choose another output name")
                raise UsageError(msg)
    for out in outputs.values():  # the release there: its recorded files and what it keeps
        folder, name = Path(out).resolve().parent, Path(out).stem
        touched = [folder / rel for rel in _recorded(folder, name)]
        kept = (folder / PREVIOUS / name).resolve()
        for source in sources:
            if kept in source.resolve().parents or any(_same_file(t, source) for t in touched):
                msg = (f"{out}: the release there would move or replace {source}, an input "
                       "of this run; copy the input elsewhere first")
                raise UsageError(msg)


def _recorded(folder: Path, name: str) -> list[str]:
    record = _read_json(record_path(folder, name)) or {}
    return [f["name"] for f in record.get("files", []) if isinstance(f, dict) and "name" in f]


@dataclass(frozen=True)
class Placed:
    """What a committed release holds and what it replaced."""

    release: str
    files: tuple[Path, ...]
    replaced: str | None
    """The id of the release it replaced (None for the first, "earlier files" when files of
    the same names were there without a record)."""
    previous: Path | None
    """Where the replaced release is kept."""

    def text(self) -> str:
        """One line for the console."""
        if self.previous is None:
            return f"release {self.release}"
        return (f"release {self.release}, replacing {self.replaced} "
                f"(kept in {self.previous}{os.sep})")


class Release:
    """The files of one build, staged beside the map and committed together.

    ``path(final)`` gives where a renderer writes ``final`` for now; :meth:`commit` puts every
    staged file in place; :meth:`discard` (or leaving a ``with`` block with an error) drops
    them, leaving the folder as it was.
    """

    def __init__(self, map_path: str | Path) -> None:
        map_path = Path(map_path)
        self.folder = map_path.parent.resolve()
        self.name = map_path.stem
        self.id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)
        self.stage = self.folder / f".{self.name}.new-{self.id}"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            recover(self.folder, self.name)
            self._clear_stale()
            self.stage.mkdir()
        except OSError as err:
            msg = f"{map_path.parent}: cannot write the map there ({err.strerror or err})"
            raise UsageError(msg) from None
        self._files: dict[str, Path] = {}

    def _clear_stale(self) -> None:
        """Drop staging folders a killed build left (no commit record points at them)."""
        for pattern in (f".{self.name}.new-*", f".{self.name}.prev-*"):
            for stale in self.folder.glob(pattern):
                shutil.rmtree(stale, ignore_errors=True)
        for torn in (f".{self.name}.commit.json.part", f".{self.name}.release.json.part"):
            (self.folder / torn).unlink(missing_ok=True)

    def relative(self, final: str | Path) -> str:
        """``final``'s path inside the release folder, or a usage error if it lies outside."""
        final = Path(final)
        resolved = final.parent.resolve() / final.name
        try:
            rel = resolved.relative_to(self.folder)
        except ValueError:
            msg = (f"{final}: every output of a build goes in the map's folder {self.folder} "
                   "(or one inside it), where the release is written as a whole")
            raise UsageError(msg) from None
        if rel.parts[0] == PREVIOUS or rel.name.startswith("."):
            msg = f"{final}: hidden names and {PREVIOUS} are the release's own; choose another"
            raise UsageError(msg)
        return rel.as_posix()

    def path(self, final: str | Path) -> Path:
        """Where to write ``final`` until the commit."""
        rel = self.relative(final)
        if rel in self._files:
            msg = f"{final}: two outputs of this build have the same name"
            raise UsageError(msg)
        staged = self.stage / rel
        staged.parent.mkdir(parents=True, exist_ok=True)
        self._files[rel] = staged
        return staged

    def final(self, rel: str) -> Path:
        return self.folder / rel

    def discard(self) -> None:
        """Drop what was staged; the folder keeps its release. Once the commit record is
        written the release is decided, and what is staged stays for :func:`recover`."""
        plan = _read_json(_commit_path(self.folder, self.name)) or {}
        if plan.get("stage") != self.stage.name:
            shutil.rmtree(self.stage, ignore_errors=True)

    def __enter__(self) -> Release:
        return self

    def __exit__(self, kind, *_exc) -> None:
        if kind is not None:
            self.discard()

    def commit(self) -> Placed:
        """Put every staged file in place as one release; keep the one it replaces."""
        written = {rel: p for rel, p in self._files.items() if p.exists()}
        for staged in written.values():
            _fsync_file(staged)
        for folder in {p.parent for p in written.values()} | {self.stage}:
            _fsync_dir(folder)
        old = _read_json(record_path(self.folder, self.name)) or {}
        old_files = _recorded(self.folder, self.name)
        present = [rel for rel in sorted(set(old_files) | set(written))
                   if self.final(rel).is_file()]
        replaced = old.get("release") if old_files else ("earlier files" if present else None)
        kept = None
        if present:  # the set it replaces, linked (not moved) into its own folder for now
            kept = self.folder / f".{self.name}.prev-{self.id}"
            for rel in present:
                target = kept / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(self.final(rel), target)
                except OSError:  # a file system without hard links
                    shutil.copy2(self.final(rel), target)
            if old_files:
                shutil.copy2(record_path(self.folder, self.name), kept / "release.json")
            _fsync_dir(kept)
        record = {
            "release": self.id, "name": self.name,
            "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "replaced": replaced,
            "files": [{"name": rel, "bytes": p.stat().st_size, "sha256": _digest(p)}
                      for rel, p in sorted(written.items())],
        }
        _write_json(self.stage / "release.json", record)
        _write_json(_commit_path(self.folder, self.name), {  # the one step that decides
            "release": self.id, "stage": self.stage.name,
            "kept": kept.name if kept else None, "place": sorted(written),
            "remove": sorted(set(old_files) - set(written)),
        })
        recover(self.folder, self.name)
        return Placed(release=self.id, files=tuple(self.final(r) for r in sorted(written)),
                      replaced=replaced,
                      previous=self.folder / PREVIOUS / self.name if kept else None)


def recover(folder: str | Path, name: str | None = None) -> list[str]:
    """Finish every release of ``folder`` (or only ``name``'s) whose commit record is there:
    a build killed while putting its files in place. Returns the names finished."""
    folder = Path(folder)
    pattern = f".{name}.commit.json" if name else ".*.commit.json"
    done = []
    for commit in sorted(folder.glob(pattern)):
        plan = _read_json(commit)
        stem = commit.name[1:-len(".commit.json")]
        if not plan:  # torn before its rename: the release was never decided
            commit.unlink(missing_ok=True)
            continue
        _roll_forward(folder, stem, plan)
        commit.unlink(missing_ok=True)
        _fsync_dir(folder)
        done.append(stem)
    return done


def _roll_forward(folder: Path, name: str, plan: dict) -> None:
    """Put a decided release in place; safe to repeat from any point."""
    stage = folder / plan["stage"]
    for rel in plan.get("place", []):
        staged = stage / rel
        if staged.exists():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, folder / rel)
    for rel in plan.get("remove", []):
        (folder / rel).unlink(missing_ok=True)
    if (stage / "release.json").exists():
        os.replace(stage / "release.json", record_path(folder, name))
    for sub in {(folder / rel).parent for rel in plan.get("place", [])} | {folder}:
        _fsync_dir(sub)
    if plan.get("kept") and (folder / plan["kept"]).exists():
        back = folder / PREVIOUS / name
        back.parent.mkdir(exist_ok=True)
        shutil.rmtree(back, ignore_errors=True)
        os.replace(folder / plan["kept"], back)
        _fsync_dir(back.parent)
    shutil.rmtree(stage, ignore_errors=True)
