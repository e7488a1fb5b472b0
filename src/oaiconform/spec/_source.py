"""Finding the description: flag, environment, user cache, then a checked download.

Resolution order: `--spec PATH|URL`, `OAICONFORM_SPEC`, the user cache, a download of the
pinned address. Only the download and the cache are held to the pinned checksum; an explicit
file is the user's choice and is reported with its own checksum.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from oaiconform.spec._errors import SpecError, SpecUnavailableError
from oaiconform.spec._pin import Pin, load_pin

DOWNLOAD_TIMEOUT_S = 30.0
MAX_SPEC_BYTES = 64 * 1024 * 1024


class DownloadError(OSError):
    """The description could not be fetched (offline, refused, HTTP error)."""


@dataclass(frozen=True)
class SpecSource:
    """Where the description was found, and its bytes."""

    origin: str  # "flag", "env", "cache", "download"
    location: str  # a path or URL, for the report
    content: bytes
    sha256: str
    pinned: bool  # the checksum equals the pin's


def default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("oaiconform"))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _source(origin: str, location: str, content: bytes, pin: Pin) -> SpecSource:
    digest = _sha256(content)
    return SpecSource(origin, location, content, digest, digest == pin.sha256)


def _read_file(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_SPEC_BYTES:
            raise SpecError(f"{path}: larger than {MAX_SPEC_BYTES // 2**20} MiB, not a description")
        return path.read_bytes()
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SpecError(f"{path}: is a directory, expected an OpenAPI JSON or YAML file") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot be read ({exc.strerror})") from None


def _download(url: str) -> bytes:
    """GET with a timeout and a size cap; raises OSError-compatible errors for the caller."""
    # Imported here: httpx costs a third of `oaiconform mock`'s start, and a local file (the
    # usual source) never needs it.
    import httpx

    chunks: list[bytes] = []
    size = 0
    try:
        with httpx.stream(
            "GET",
            url,
            timeout=DOWNLOAD_TIMEOUT_S,
            follow_redirects=True,
            headers={"User-Agent": "oaiconform"},
        ) as response:
            if response.status_code != 200:
                raise DownloadError(f"HTTP {response.status_code}")
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_SPEC_BYTES:
                    raise SpecError(f"{url}: larger than {MAX_SPEC_BYTES // 2**20} MiB")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise DownloadError(str(exc) or type(exc).__name__) from None
    return b"".join(chunks)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".download-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _offline_message(pin: Pin, cache_file: Path, cause: str) -> str:
    return (
        f"The OpenAPI description could not be downloaded ({cause}) and no cached copy exists. "
        f"oaiconform is pinned to {pin.url} (sha256 {pin.sha256}). On a machine without "
        f"internet, download that file elsewhere and either pass it with `--spec PATH`, set "
        f"OAICONFORM_SPEC=PATH, or copy it to {cache_file}."
    )


def resolve_spec_source(
    explicit: str | None,
    *,
    env_value: str | None,
    cache_dir: Path | None = None,
    allow_download: bool = True,
    pin: Pin | None = None,
) -> SpecSource:
    pin = pin or load_pin()
    for origin, value in (("flag", explicit), ("env", env_value)):
        if not value:
            continue
        if value.startswith(("http://", "https://")):
            try:
                return _source(origin, value, _download(value), pin)
            except DownloadError as exc:
                raise SpecError(f"{value}: cannot be downloaded ({exc})") from None
        return _source(origin, str(Path(value).resolve()), _read_file(Path(value)), pin)

    cache_file = (cache_dir or default_cache_dir()) / f"openapi-{pin.sha256[:16]}.json"
    if cache_file.is_file():
        content = _read_file(cache_file)
        if _sha256(content) == pin.sha256:
            return _source("cache", str(cache_file), content, pin)
        cache_file.unlink(missing_ok=True)  # corrupt or tampered: fetch it again
    if not allow_download:
        raise SpecUnavailableError(_offline_message(pin, cache_file, "downloads disabled"))
    try:
        content = _download(pin.url)
    except DownloadError as exc:
        raise SpecUnavailableError(_offline_message(pin, cache_file, str(exc))) from None
    digest = _sha256(content)
    if digest != pin.sha256:
        raise SpecError(
            f"{pin.url}: checksum mismatch (got sha256 {digest}, pinned {pin.sha256}); "
            "the download was not cached. Pass a trusted copy with --spec PATH."
        )
    _write_atomically(cache_file, content)
    return _source("download", pin.url, content, pin)
