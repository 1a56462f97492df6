"""Which text encoding a file is in, and a byte stream of it re-encoded as UTF-8.

Detection is deterministic and needs no guessing library: a byte-order mark names UTF-8 or
UTF-16; otherwise a sample that is valid UTF-8 is UTF-8 (ASCII is too), and one that is not
is Windows-1252, the encoding of spreadsheet exports on Western Windows machines (a superset
of Latin-1's printable characters). ``--encoding`` names any other. The CSV reader then sees
UTF-8 only: a UTF-8 file is read as it is (no copy), any other through :class:`Transcoded`.
"""

from __future__ import annotations

import codecs
import io
from dataclasses import dataclass
from typing import IO

from outsidein.errors import ConfigError

SAMPLE_BYTES = 1 << 20
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class Encoding:
    """A file's encoding (a Python codec name) and the length of its byte-order mark."""

    name: str
    bom: int = 0

    @property
    def is_utf8(self) -> bool:
        return codecs.lookup(self.name).name == "utf-8"


def check_encoding(name: str) -> str:
    """The codec's canonical name; a name Python does not know is refused."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ConfigError(
            f"--encoding {name!r}: unknown encoding; e.g. utf-8, utf-16, cp1252, latin-1"
        ) from None


def detect_encoding(head: bytes, named: str | None = None) -> Encoding:
    """The encoding of a file that starts with ``head`` (up to :data:`SAMPLE_BYTES`).

    A byte-order mark is definitive, whatever ``named`` says.
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return Encoding(name, len(bom))
    if named is not None:
        return Encoding(check_encoding(named))
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A sample cut inside a character is still UTF-8.
        if exc.reason != "unexpected end of data" or exc.start < len(head) - 3:
            return Encoding("cp1252")
    return Encoding("utf-8")


def _cp1252_or_latin1(error: UnicodeError) -> tuple[str, int]:
    """Five bytes are undefined in Windows-1252: read them as Latin-1 does."""
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("outsidein-latin1", _cp1252_or_latin1)


class Transcoded(io.RawIOBase):
    """A binary stream in ``encoding`` read as UTF-8 bytes (its byte-order mark dropped)."""

    def __init__(self, raw: IO[bytes], encoding: Encoding) -> None:
        self._raw = raw
        raw.read(encoding.bom)
        errors = "outsidein-latin1" if encoding.name == "cp1252" else "strict"
        self._decoder = codecs.getincrementaldecoder(encoding.name)(errors)
        self._name = encoding.name
        self._pending = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending and not self._done:
            block = self._raw.read(1 << 20)
            try:
                text = self._decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                raise UnicodeDecodeError(
                    exc.encoding, exc.object, exc.start, exc.end, f"not valid {self._name}"
                ) from None
            self._pending = text.encode("utf-8")
            self._done = not block
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()
