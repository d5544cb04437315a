"""What a resolver needs of a multipart file (GraphQL multipart request spec), without the
HTTP layer's class: server/ hands in starlette's UploadFile, which has this shape."""

from typing import BinaryIO, Protocol, runtime_checkable


@runtime_checkable
class UploadedFile(Protocol):
    filename: str | None
    file: BinaryIO

    async def read(self, size: int = -1) -> bytes: ...

    async def close(self) -> None: ...
