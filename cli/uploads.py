"""A GraphQL multipart request (the multipart request spec Strawberry implements) whose file
part is streamed from disk, so a large CSV is never held in memory."""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import orjson

UPLOAD_CHUNK_BYTES: Final = 256 * 1024


@dataclass(frozen=True, slots=True)
class MultipartUpload:
    headers: dict[str, str]
    body: Iterator[bytes]


def multipart_upload(
    query: str, path: Path, *, variable: str, on_progress: Callable[[int], None]
) -> MultipartUpload:
    """`query` with `path` as its Upload variable `variable`; `on_progress` gets the number of
    file bytes sent so far."""
    boundary = uuid.uuid4().hex
    operations = orjson.dumps({"query": query, "variables": {variable: None}})
    files_map = orjson.dumps({"0": [f"variables.{variable}"]})
    name = path.name.replace('"', "_")
    head = (
        _part(boundary, 'name="operations"', operations)
        + _part(boundary, 'name="map"', files_map)
        + f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="{name}"\r\n'
        f"Content-Type: text/csv\r\n\r\n".encode()
    )
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = path.stat().st_size

    def body() -> Iterator[bytes]:
        yield head
        sent = 0
        with path.open("rb") as file:
            while chunk := file.read(UPLOAD_CHUNK_BYTES):
                sent += len(chunk)
                yield chunk
                on_progress(sent)
        yield tail

    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(len(head) + size + len(tail)),
        # Strawberry refuses multipart requests without it (CSRF protection).
        "Apollo-Require-Preflight": "true",
    }
    return MultipartUpload(headers=headers, body=body())


def _part(boundary: str, disposition: str, content: bytes) -> bytes:
    return f"--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n\r\n".encode() + (
        content + b"\r\n"
    )
