"""`prepare_dataset` puts a real dataset under the data root; `dataset_summary` describes it.

    prepare_dataset("cifar10")                              # download the official archive
    prepare_dataset("cifar10", "cifar10-jpeg.zip")          # import a local archive or folder
    prepare_dataset("nyuv2", "https://host/nyuv2-13.zip")   # or any URL (http, https, file)

The steps, each of which fails with a one-line `UserError` and leaves nothing behind:
1. get the source: download it (to `<root>/.downloads/<name>/`, checked against the published
   checksum), or take the local file or folder;
2. verify it: archives recognised by file name are checked against their known digest;
   extraction checks the archive's own CRCs;
3. import it: the dataset module finds its layout in the source and writes its prepared form
   into a staging folder beside the destination;
4. write `MANIFEST.json` (source, its sha256, split sizes, classes, date) and swap the staging
   folder onto `<root>/<name>/`.

Preparing again is a no-op when the prepared copy is intact and the source is the same one;
a different source archive replaces it, and so does any source when the prepared copy is
damaged (a garbage `MANIFEST.json` included), so `prepare` is always the repair.

Reliability: one import of a name at a time (a lock file `<root>/.NAME.lock`; a second
process waits, then finds the first one's copy); what a killed import left (staging folders,
an old copy moved aside by the swap) is cleaned up or put back by the next one
(`storage.clean_leftovers`); a folder source holding a symlinked folder is refused rather than
followed; a full disk or a read-only data root is a one-line error, with nothing half-written.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sys
import tarfile
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlparse

from ..errors import UserError
from ..files import hold_lock, save_json, sha256_file, writing_into
from ..paths import resolve_data_root
from . import available_datasets, dataset_info
from .archive import download, extract_archive, is_archive, replace_dir, verify_file
from .storage import MANIFEST, clean_leftovers, has_leftovers, read_manifest, require_prepared

_URL_SCHEMES = ("http", "https", "file", "ftp")
NO_SOURCE = "{name} needs --from DIR (a folder or archive of class folders)"


def _module(name: str):
    return importlib.import_module(f"{__package__}.{name}")


def _say(progress: bool, message: str) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)


def _is_url(source: str) -> bool:
    return urlparse(source).scheme in _URL_SCHEMES


def _intact(module, folder: Path, manifest: dict) -> bool:
    try:
        return module.split_sizes(folder) == manifest.get("splits")
    except (UserError, OSError, KeyError, ValueError):
        return False


def _same_source(source: str | None, manifest: dict) -> bool:
    if source is None:
        return manifest.get("source_kind") == "online"
    if _is_url(source):
        return manifest.get("source") == source
    path = Path(source).expanduser().resolve()
    if path.is_file():
        return manifest.get("source_sha256") == sha256_file(path)
    return manifest.get("source") == str(path)


def _verify_known(module, path: Path) -> dict:
    """Check a recognised archive against its known digest; return the digests recorded."""
    known = getattr(module, "KNOWN_ARCHIVES", {}).get(path.name)
    if known:
        verify_file(path, **known)
    return {"source_sha256": sha256_file(path)}


def _fetch(module, name: str, source: str | None, downloads: Path, progress: bool):
    """(path of the archive, file or folder to import, facts for the manifest)."""
    if source is None:
        remotes = getattr(module, "ONLINE", ())
        if not remotes:
            raise UserError(getattr(module, "NO_ONLINE", f"{name} has no online source; run: "
                                    f"python -m ddad_lite data prepare {name} --from PATH"))
        files = [r.fetch(downloads, progress=progress) for r in remotes]
        facts = {"source_kind": "online", "source": " ".join(r.urls[0] for r in remotes)}
        if len(files) == 1:
            return files[0], {**facts, **_verify_known(module, files[0])}
        return downloads, facts
    if _is_url(source):
        filename = Path(unquote(urlparse(source).path)).name or f"{name}-source"
        known = getattr(module, "KNOWN_ARCHIVES", {}).get(filename, {})
        path = download(source, downloads / filename, progress=progress, **known)
        return path, {"source_kind": "url", "source": source, **_verify_known(module, path)}
    path = Path(source).expanduser().resolve()
    if path.is_dir():
        refuse_linked_folders(path)
        return path, {"source_kind": "folder", "source": str(path), "source_sha256": None}
    if not path.is_file():
        raise UserError(f"--from {source}: no such file or folder; pass the path of the "
                        f"downloaded archive or of its extracted folder")
    _say(progress, f"verifying {path}")
    return path, {"source_kind": "file", "source": str(path), **_verify_known(module, path)}


def refuse_linked_folders(src: Path) -> None:
    """Raise `UserError` if a folder inside `src` is a symbolic link (it is never followed: a
    link could pull any folder of the machine into the data root)."""
    for folder, subfolders, _ in os.walk(src):
        for sub in subfolders:
            if os.path.islink(os.path.join(folder, sub)):
                raise UserError(f"--from {src}: {Path(folder, sub)} is a symbolic link to a "
                                f"folder, which is not followed; copy the folder there or "
                                f"pass an archive")


def _prepared(module, name: str, folder: Path, source: str | None, options: dict,
              progress: bool):
    """The manifest of an intact copy of the same source (and import options) in `folder`,
    else None."""
    if not (folder / MANIFEST).is_file():
        return None
    try:
        manifest = read_manifest(folder)
    except UserError as e:
        _say(progress, f"{e}; importing again")
        return None
    if (_intact(module, folder, manifest) and _same_source(source, manifest)
            and all(manifest.get("options", {}).get(k) == v for k, v in options.items())):
        _say(progress, f"{name} is already prepared and verified in {folder}")
        return manifest
    _say(progress, f"{folder} is incomplete or from another source; importing again")
    return None


def prepare_dataset(name: str, source: str | None = None, root: str | None = None, *,
                    progress: bool = True, as_name: str | None = None,
                    options: dict | None = None) -> dict:
    """Download (`source` None) or import (`source` a path or URL) `name`; its manifest.

    `imagefolder` only: `as_name` names the prepared dataset (default `imagefolder`), and
    `options` go to its importer (`image_size`, `test_fraction`, `seed`, `mean`, `std`)."""
    if name not in available_datasets():
        raise UserError(f"unknown dataset {name!r} to prepare; choose one of: "
                        f"{', '.join(available_datasets())}; one's own class folders: data "
                        f"prepare imagefolder --from DIR --name {name}")
    info = dataset_info(name)
    if info.embedded:
        message = f"{name} is embedded in the package; nothing to prepare"
        _say(progress, message)
        return {"name": name, "embedded": True, "message": message}
    module = _module(name)
    options = {k: v for k, v in (options or {}).items() if v is not None}
    if (as_name or options) and not hasattr(module, "check_name"):
        raise UserError(f"--name and the image options apply to imagefolder, not {name}")
    if as_name:
        module.check_name(as_name, available_datasets())
    if options and source is None:
        raise UserError(NO_SOURCE.format(name=name))
    root = resolve_data_root(root)
    target = as_name or name  # the prepared dataset's name (imagefolder: --name)
    folder = root / target
    manifest = _prepared(module, target, folder, source, options, progress=False)
    if manifest is not None and not has_leftovers(root, target):
        _say(progress, f"{target} is already prepared and verified in {folder}")
        return manifest
    with writing_into(root, what=f"the {target} dataset"):
        root.mkdir(parents=True, exist_ok=True)
    with hold_lock(root / f".{target}.lock",
                   waiting=f"waiting for another process preparing {target} in {root}"):
        with writing_into(root, what=f"the {target} dataset"):
            clean_leftovers(root, target)
            manifest = _prepared(module, target, folder, source, options, progress)
            if manifest is None:
                manifest = _import(module, info, name, source, root, progress,
                                   as_name=as_name, options=options)
    _say(progress, f"{target} prepared in {folder}: {manifest['splits']}")
    return manifest


def _import(module, info, name: str, source: str | None, root: Path, progress: bool, *,
            as_name: str | None = None, options: dict | None = None) -> dict:
    """Fetch, import into a staging folder, write the manifest, swap it onto
    `root/(as_name or name)`."""
    options = options or {}
    target = as_name or name
    folder = root / target
    path, facts = _fetch(module, name, source, root / ".downloads" / name, progress)
    work = Path(tempfile.mkdtemp(dir=root, prefix=f".{target}.work-"))
    try:
        out = work / "out"
        out.mkdir()
        result = None
        if path.is_file():
            if not is_archive(path) and not _looks_like_archive(path):
                raise UserError(f"{path} is not a .zip or .tar(.gz) archive; pass an archive "
                                f"or a folder")
            if hasattr(module, "import_archive"):  # read straight from the archive
                _say(progress, f"importing {name} from {path.name}")
                result = module.import_archive(path, out, progress=progress, **options)
            if result is None:
                _say(progress, f"extracting {path.name}")
                src = extract_archive(path, work / "src")
                _say(progress, f"importing {name}")
                result = module.import_source(src, out, progress=progress, move=True,
                                              **options)
        else:
            _say(progress, f"importing {name} from {path}")
            result = module.import_source(path, out, progress=progress, move=False,
                                          **options)
        manifest = {
            "name": as_name or name, **facts, **({"options": options} if options else {}),
            "splits": result["splits"], "num_classes": len(result["classes"]),
            "classes": result["classes"], "task": info.task,
            **{k: v for k, v in result.items() if k not in ("splits", "classes")},
            "prepared_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        save_json(out / MANIFEST, manifest)
        replace_dir(out, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def _looks_like_archive(path: Path) -> bool:
    return zipfile.is_zipfile(path) or tarfile.is_tarfile(path)


def dataset_summary(name: str, root: str | None = None) -> dict:
    """`{"name", "num_classes", "splits": {split: size}, "task", "root"}` from the data."""
    info = dataset_info(name, root)
    if info.embedded:
        module = _module(name)
        return {"name": name, "num_classes": info.num_classes,
                "splits": dict(module.SPLIT_SIZES), "task": info.task, "root": None}
    folder = require_prepared(name, root)
    manifest = read_manifest(folder)
    kind = manifest.get("kind", name)
    own = {"image_size": info.image_size, "mean": list(info.mean), "std": list(info.std)}
    return {"name": name, "num_classes": len(manifest["classes"]),
            "splits": _module(kind).split_sizes(folder), "task": info.task,
            **(own if kind == "imagefolder" else {}),
            "root": os.fspath(resolve_data_root(root).resolve())}


def prepare_script(name: str, description: str, argv=None) -> None:
    """The body of a `data_prep/NAME.py` script: `--from`, `--data-root`, one-line errors."""
    parser = argparse.ArgumentParser(description=" ".join(description.split("\n\n")[:2]))
    parser.add_argument("--from", dest="source", help="local archive, folder or URL to import "
                        "(default: download the official source, where there is one)")
    parser.add_argument("--data-root", help="where datasets live (default: $DDAD_DATA or ./data)")
    args = parser.parse_args(argv)
    try:
        manifest = prepare_dataset(name, args.source, args.data_root)
    except UserError as e:
        raise SystemExit(f"error: {e}") from None
    print(json.dumps(manifest["splits"]))
