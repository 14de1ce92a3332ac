"""Zip archives of suites: safe unpacking (no path escapes, links or bombs) and packing a suite folder."""

import io
import os
import shutil
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

MB = 1024 * 1024
SUITE_MAX_UNPACKED = 500 * MB
SUITE_MAX_FILES = 5000
# A student's code zip: checked at upload (assignments.archives.check_zip) and again when the judge unpacks it.
SUBMISSION_MAX_UNPACKED = 200 * MB
SUBMISSION_MAX_FILES = 2000


class ArchiveError(ValueError):
    """The zip cannot be unpacked safely; the message says why in plain words."""


# Why a zip entry may not be unpacked: the one rule for students' code, suites and the judge.
UNSAFE_PATH = "path"  # absolute, a drive letter, or with '..': it would land outside the folder
SYMLINK = "symlink"  # a link could point anywhere on the host


def member_problem(member: zipfile.ZipInfo) -> str | None:
    name = PurePosixPath(member.filename.replace("\\", "/"))
    if name.is_absolute() or ".." in name.parts or (name.parts and ":" in name.parts[0]):
        return UNSAFE_PATH
    if (member.external_attr >> 16) & 0o170000 == 0o120000:
        return SYMLINK
    return None


def safe_extract(
    source: Path | IO[bytes], dest: Path, *, max_bytes: int = SUITE_MAX_UNPACKED, max_files: int = SUITE_MAX_FILES
) -> None:
    """Unpack `source` into `dest`, refusing absolute paths, `..`, links, and archives that unpack too big."""
    try:
        bundle = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as error:
        raise ArchiveError("This is not a zip file (or the zip is damaged).") from error
    with bundle:
        members = bundle.infolist()
        if len(members) > max_files:
            raise ArchiveError(f"The zip holds more than {max_files} files.")
        if sum(m.file_size for m in members) > max_bytes:
            raise ArchiveError(f"The zip unpacks to more than {max_bytes // MB} MB.")
        for member in members:
            problem = member_problem(member)
            if problem == UNSAFE_PATH:
                raise ArchiveError(f"The zip holds an unsafe path: {member.filename!r}.")
            if problem == SYMLINK:
                raise ArchiveError(f"The zip holds a symbolic link: {member.filename!r}; zip the real files.")
            name = PurePosixPath(member.filename.replace("\\", "/"))
            target = dest.joinpath(*name.parts) if name.parts else dest
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with bundle.open(member) as src, target.open("wb") as sink:
                    shutil.copyfileobj(src, sink)
            except (zipfile.BadZipFile, RuntimeError, EOFError) as error:
                raise ArchiveError(f"The zip is damaged or encrypted ({member.filename}).") from error


def suite_root(folder: Path) -> Path:
    """The folder holding suite.toml: the top of the zip, or its single top-level folder."""
    if (folder / "suite.toml").is_file():
        return folder
    entries = [p for p in folder.iterdir() if p.name not in ("__MACOSX",) and not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir() and (entries[0] / "suite.toml").is_file():
        return entries[0]
    raise ArchiveError("The zip has no suite.toml at its top (or in its single top-level folder).")


def zip_folder(folder: Path) -> bytes:
    """A zip of `folder`'s files (without caches), named relative to the folder, in a stable order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", ".pytest_cache"))
            for name in sorted(files):
                path = Path(root) / name
                if path.is_symlink() or name.endswith(".pyc"):
                    continue
                info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                bundle.writestr(info, path.read_bytes())
    return buffer.getvalue()
