"""The files a worker moves: a suite unpacked from the storage into its cache (once per version), a submission
copied in, and the judge's figures copied out to the storage (the web server may be on another host)."""

import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from . import conf
from .archives import safe_extract, suite_root
from .judge.launcher import judge_ids
from .models import GradingJob, Suite, Visibility


def _protect(root: Path) -> None:
    """The tests and hidden data are the worker's and, read-only, the judge's (its group, where the judge has a
    uid of its own); the sandbox's uids may read public_data only. Other folders are traverse-only for others
    (o+x) so that the sandbox's uid can reach public_data inside them.
    """
    ids = judge_ids()
    gid = ids[1] if ids is not None else -1
    folder_mode, file_mode = (0o750, 0o640) if ids is not None else (0o700, 0o600)
    for folder, _dirs, files in os.walk(root):
        public = "public_data" in Path(folder).relative_to(root).parts
        os.chown(folder, -1, gid, follow_symlinks=False)
        os.chmod(folder, 0o755 if public else folder_mode | 0o001)  # noqa: S103 (public_data: read-only in the sandbox)
        for name in files:
            path = os.path.join(folder, name)
            os.chown(path, -1, gid, follow_symlinks=False)
            os.chmod(path, 0o644 if public else file_mode, follow_symlinks=False)


def _own_folder(path: Path) -> None:
    """The suite cache: a real folder of the worker's own (not one another local user made or links elsewhere)."""
    var = Path(settings.VAR_DIR)
    if path.parent == var and not var.exists():
        var.mkdir(mode=0o711, parents=True)  # traverse only: the judge's uid reaches the cache through it
        os.chmod(var, 0o711)  # noqa: S103 (mkdir's mode is cut by the umask)
    path.mkdir(parents=True, exist_ok=True)
    st = path.lstat()
    if not path.is_dir() or path.is_symlink() or st.st_uid != os.geteuid():
        raise RuntimeError(f"the suite cache {path} is not a folder owned by the worker's uid {os.geteuid()}")
    os.chmod(path, 0o711)  # noqa: S103 (traverse only)


def fetch_suite(suite: Suite) -> Path:
    """The suite unpacked on this host, fetched through the storage API once per version (cached by hash)."""
    cache = conf.suite_cache_dir()
    target = cache / suite.sha256
    _own_folder(cache)
    if (target / ".complete").is_file():
        return suite_root(target)
    scratch = Path(tempfile.mkdtemp(prefix=f".{suite.sha256[:12]}-", dir=cache))
    with default_storage.open(str(suite.archive.name), "rb") as archive:
        safe_extract(cast(IO[bytes], archive), scratch)  # a File reads like one
    _protect(scratch)
    (scratch / ".complete").touch()
    try:
        scratch.rename(target)
    except OSError:  # another process on this host unpacked it first
        shutil.rmtree(scratch, ignore_errors=True)
    return suite_root(target)


def fetch_source(job: GradingJob, folder: Path) -> Path:
    """The submission's zip (or the staff's trial file) copied from the storage into `folder`."""
    if job.trigger == GradingJob.Trigger.TRIAL or job.submission is None:
        name = str(job.trial_file.name)
    else:
        name = str(job.submission.code.name)
    suffix = Path(name).suffix.lower() or ".zip"
    target = folder / f"submission{suffix}"
    with default_storage.open(name, "rb") as source, target.open("wb") as sink:
        shutil.copyfileobj(source, sink)
    return target


def store_figures(*, job: GradingJob, tests: Iterable[Mapping[str, Any]], paths: Iterable[str]) -> list[dict[str, str]]:
    """Copy the judge's figures into the storage (the web server may be on another host).

    Each figure keeps the visibility of the test that drew it (students see only those of visible tests); one
    that no test claims is staff's only."""
    owner = {}
    for test in tests:
        for path in test.get("figures") or []:
            owner[str(path)] = (test.get("name") or "", test.get("visibility") or Visibility.SECRET)
    stored = []
    for index, path in enumerate(paths):
        source = Path(path)
        if not source.is_file() or source.suffix.lower() not in (".png", ".svg", ".jpg", ".jpeg"):
            continue
        name = default_storage.save(
            f"grading/figures/{job.pk}/{job.dispatch}-{index}{source.suffix.lower()}", ContentFile(source.read_bytes())
        )
        test_name, visibility = owner.get(str(path), ("", Visibility.SECRET))
        title = re.sub(r"^\d{3}-", "", source.stem).replace("_", " ")
        stored.append({"name": name, "title": title, "test": test_name, "visibility": visibility})
    return stored
