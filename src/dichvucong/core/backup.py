"""Backups an operator can restore on an empty machine: ``dichvucong backup`` and
``dichvucong restore`` (docs/operations.md «Sao lưu và khôi phục»).

One backup is one encrypted file holding everything a deployment cannot remake:

- the **database**: SQLite's online backup of the file, or ``pg_dump --format=custom`` (a
  consistent snapshot taken while the platform runs);
- the **files** of the default storage (uploads, declarations, signed results, the data store,
  open-data downloads), from the data folder or the S3 bucket alike, each with its SHA-256;
- the **signing keys and trust-list state**: the results' key folder (agencies' PKCS#12 keys, the
  demo CA, the trust-list signer), the trust-list key and certificate when they live elsewhere,
  and the demo/test secret key; the trust-list issues themselves are rows of the database.

The archive is a tar stream cut into chunks, each sealed with Fernet (AES-128-CBC and
HMAC-SHA256, from ``cryptography``) under a key only the operator holds (``--key-file`` or
``DICHVUCONG_BACKUP_KEY``); each chunk carries its number and whether it is the last, so a
reordered, cut or altered file is refused. Nothing is read from the archive before its chunk's
seal is checked.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import connection

from dichvucong.core import storage

MAGIC = b"DICHVUCONG-BACKUP-1\n"
CHUNK = 4 * 1024 * 1024
FORMAT = 1
KEY_ENV = "DICHVUCONG_BACKUP_KEY"


class BackupError(Exception):
    pass


# --- the key ------------------------------------------------------------------------------------


def new_key(path: Path) -> None:
    """Write a new key, readable by its owner only. Refuses to overwrite one."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        handle.write(Fernet.generate_key() + b"\n")


def load_key(path: Path | str | None) -> Fernet:
    raw = Path(path).read_bytes().strip() if path else os.environ.get(KEY_ENV, "").strip().encode()
    if not raw:
        raise BackupError(f"no backup key: give --key-file or set {KEY_ENV}")
    try:
        return Fernet(raw)
    except ValueError:
        raise BackupError("the backup key is not a Fernet key (dichvucong backup "
                          "--new-key FILE makes one)") from None


# --- sealed chunks ------------------------------------------------------------------------------


class SealedWriter(io.RawIOBase):
    """A write-only stream that seals what it is given, chunk by chunk, into ``out``."""

    def __init__(self, out, fernet: Fernet):
        self.out, self.fernet, self.index, self.buffer = out, fernet, 0, bytearray()
        out.write(MAGIC)

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.buffer += data
        while len(self.buffer) >= CHUNK:
            self._seal(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]
        return len(data)

    def _seal(self, data: bytes, last: bool) -> None:
        token = self.fernet.encrypt(struct.pack(">Q?", self.index, last) + data)
        self.out.write(struct.pack(">I", len(token)) + token)
        self.index += 1

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self.buffer), last=True)
            self.buffer.clear()
        super().close()


def unsealed_chunks(source, fernet: Fernet) -> Iterator[bytes]:
    if source.read(len(MAGIC)) != MAGIC:
        raise BackupError("not a dichvucong backup")
    index = 0
    while True:
        head = source.read(4)
        if len(head) < 4:
            raise BackupError("the backup is cut short")
        token = source.read(struct.unpack(">I", head)[0])
        try:
            plain = fernet.decrypt(token)
        except InvalidToken:
            raise BackupError("wrong key, or the backup was altered") from None
        number, last = struct.unpack(">Q?", plain[:9])
        if number != index:
            raise BackupError("the backup's chunks are out of order")
        yield plain[9:]
        if last:
            return
        index += 1


class UnsealedReader(io.RawIOBase):
    def __init__(self, source, fernet: Fernet):
        self.chunks, self.pending = unsealed_chunks(source, fernet), b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self.pending:
            chunk = next(self.chunks, None)
            if chunk is None:
                return 0
            self.pending = chunk
        size = min(len(target), len(self.pending))
        target[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


# --- what is backed up --------------------------------------------------------------------------


def _database_url_env(settings_dict: dict) -> dict[str, str]:
    """libpq's variables for a Django database (no password on a command line)."""
    env = dict(os.environ)
    for variable, key in (("PGDATABASE", "NAME"), ("PGHOST", "HOST"), ("PGPORT", "PORT"),
                          ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        env.pop(variable, None)
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    return env


def _key_files() -> list[tuple[str, Path]]:
    """(name in the archive, path here) of every key and trust file to keep."""
    found = []
    pki = Path(settings.RESULTS_PKI_DIR)
    if pki.is_dir():
        found += [(f"keys/pki/{p.relative_to(pki).as_posix()}", p)
                  for p in sorted(pki.rglob("*")) if p.is_file()]
    for setting, name in (("RESULTS_TRUST_LIST_KEY", "trust-list-key.pem"),
                          ("RESULTS_TRUST_LIST_CERT", "trust-list-cert.pem")):
        value = getattr(settings, setting, "")
        if value and Path(value).is_file() and pki not in Path(value).parents:
            found.append((f"keys/{name}", Path(value)))
    secret = Path(settings.DATA_DIR) / "secret_key"
    if secret.is_file():
        found.append(("keys/secret_key", secret))
    return found


@dataclass
class Summary:
    database: str = ""
    files: int = 0
    keys: int = 0
    bytes: int = 0
    # Files rows name that the storage did not have when the backup was made.
    missing: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))


def _add_path(archive: tarfile.TarFile, name: str, path: Path) -> None:
    info = archive.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with path.open("rb") as handle:
        archive.addfile(info, handle)


def create(out_path: Path, fernet: Fernet) -> Summary:
    """Write a backup of this deployment to ``out_path`` (made readable by its owner only)."""
    summary = Summary(database=connection.vendor)
    manifest: dict = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(),
                      "database": connection.vendor, "storage": storage.backend_name(),
                      "files": {}}
    with tempfile.TemporaryDirectory(prefix="dichvucong-backup-") as work, \
            os.fdopen(os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                      "wb") as out:
        sealed = SealedWriter(out, fernet)
        with tarfile.open(fileobj=sealed, mode="w|gz") as archive:
            dump = Path(work) / "database"
            _dump_database(dump)
            _add_path(archive, f"database/{connection.vendor}", dump)
            dump.unlink()
            for name in storage.stored_names():
                digest = hashlib.sha256()
                with default_storage.open(name, "rb") as handle, \
                        tempfile.SpooledTemporaryFile(max_size=CHUNK) as copy:
                    for chunk in iter(lambda handle=handle: handle.read(CHUNK), b""):
                        digest.update(chunk)
                        copy.write(chunk)
                    info = tarfile.TarInfo(f"files/{name}")
                    info.size, info.mode = copy.tell(), 0o600
                    copy.seek(0)
                    archive.addfile(info, copy)
                manifest["files"][name] = digest.hexdigest()
                summary.files += 1
                summary.bytes += info.size
            summary.missing = sorted({name for _model, name, _sha in storage.recorded_files()}
                                     - set(manifest["files"]))
            manifest["missing"] = summary.missing
            for name, path in _key_files():
                _add_path(archive, name, path)
                summary.keys += 1
            _add_bytes(archive, "manifest.json",
                       json.dumps(manifest, ensure_ascii=False, indent=1).encode())
        sealed.close()
    return summary


def _dump_database(target: Path) -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
    elif connection.vendor == "postgresql":
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                        "--file", str(target)],
                       env=_database_url_env(connection.settings_dict), check=True,
                       capture_output=True)
    else:
        raise BackupError(f"no backup for a {connection.vendor} database")


# --- restore ------------------------------------------------------------------------------------


def _safe_member(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise BackupError(f"unsafe name in the backup: {name!r}")
    return path


def _database_is_empty() -> bool:
    return not connection.introspection.table_names()


def restore(in_path: Path, fernet: Fernet) -> Summary:
    """Restore a backup into this deployment, which must be empty (no table, no stored file, no
    key): a restore never mixes two platforms' records. The files are checked against the
    backup's SHA-256 as they are written back."""
    if not _database_is_empty():
        raise BackupError("the database is not empty: restore into a new, empty database")
    if next(storage.stored_names(), None) is not None:
        raise BackupError("the file storage is not empty: restore into an empty one")
    pki = Path(settings.RESULTS_PKI_DIR)
    if pki.is_dir() and any(p.is_file() for p in pki.rglob("*")):
        raise BackupError(f"the key folder {pki} is not empty")
    summary = Summary()
    with in_path.open("rb") as source, tempfile.TemporaryDirectory(
            prefix="dichvucong-restore-") as work:
        reader = io.BufferedReader(UnsealedReader(source, fernet), CHUNK)
        written: dict[str, str] = {}
        manifest = None
        with tarfile.open(fileobj=reader, mode="r|gz") as archive:
            for member in archive:
                path = _safe_member(member.name)
                if not member.isfile():
                    continue
                handle = archive.extractfile(member)
                top = path.parts[0]
                if top == "database":
                    summary.database = path.name
                    dump = Path(work) / "database"
                    with dump.open("wb") as target:
                        shutil.copyfileobj(handle, target, CHUNK)
                    _load_database(path.name, dump)
                    dump.unlink()
                elif top == "files":
                    name = "/".join(path.parts[1:])
                    hashing = _HashingReader(handle)
                    saved = default_storage.save(name, File(hashing, name=name))
                    if saved != name:
                        raise BackupError(f"{name} was stored as {saved}")
                    written[name] = hashing.digest.hexdigest()
                    summary.files += 1
                    summary.bytes += member.size
                elif top == "keys":
                    _restore_key(path, handle)
                    summary.keys += 1
                elif path.as_posix() == "manifest.json":
                    manifest = json.load(handle)
        if manifest is None or manifest.get("format") != FORMAT:
            raise BackupError("the backup has no manifest of a known format")
        if written != manifest["files"]:
            raise BackupError("the restored files differ from the backup's manifest")
    return summary


class _HashingReader(io.RawIOBase):
    def __init__(self, handle):
        self.handle, self.digest = handle, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data

    def readinto(self, target) -> int:
        data = self.read(len(target))
        target[:len(data)] = data
        return len(data)


def _load_database(vendor: str, dump: Path) -> None:
    if vendor != connection.vendor:
        raise BackupError(f"the backup holds a {vendor} database; this deployment uses "
                          f"{connection.vendor}")
    if vendor == "sqlite":
        connection.close()
        target = Path(connection.settings_dict["NAME"])
        source = sqlite3.connect(dump)
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            source.close()
            destination.close()
    else:
        completed = subprocess.run(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
             "--single-transaction", "--dbname", connection.settings_dict["NAME"], str(dump)],
            env=_database_url_env(connection.settings_dict), capture_output=True)
        if completed.returncode:
            raise BackupError("pg_restore failed: " + completed.stderr.decode()[-2000:])
        connection.close()


def _restore_key(path: PurePosixPath, handle) -> None:
    rest = path.parts[1:]
    if rest[0] == "pki":
        target = Path(settings.RESULTS_PKI_DIR).joinpath(*rest[1:])
    elif rest[0] == "secret_key":
        target = Path(settings.DATA_DIR) / "secret_key"
    else:
        setting = {"trust-list-key.pem": "RESULTS_TRUST_LIST_KEY",
                   "trust-list-cert.pem": "RESULTS_TRUST_LIST_CERT"}[rest[0]]
        configured = getattr(settings, setting, "")
        if not configured:
            raise BackupError(f"the backup holds the trust-list {rest[0]}, kept outside the key "
                              f"folder: set DICHVUCONG_{setting} to where it goes")
        target = Path(configured)
        if target.exists():
            return  # the operator's own copy of the same key
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        shutil.copyfileobj(handle, out)
