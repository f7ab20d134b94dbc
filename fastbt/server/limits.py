"""A cap on request body size, before any handler reads the body (413 over it)."""

import json

DRAIN_LIMIT = 64 << 20  # bytes of a refused body read and dropped before answering


class BodyLimit:
    """ASGI middleware: refuse bodies larger than ``max_bytes`` with 413.

    A declared Content-Length over the cap is refused at once; a streamed body
    is counted as it arrives and refused as soon as it passes the cap.
    """

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await self._refuse(receive, send)
        chunks, size = [], 0
        while True:
            message = await receive()
            chunks.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                return await self._refuse(receive, send)
            if not message.get("more_body", False):
                break
        replay = iter(chunks)

        async def replayed():
            return next(replay, None) or await receive()

        return await self.app(scope, replayed, send)

    async def _refuse(self, receive, send) -> None:
        """Answer 413. The rest of the body is read and dropped first (up to a bound):
        closing on unread data makes the kernel reset the connection, and the client
        would see a broken connection instead of the answer."""
        dropped = 0
        while dropped <= DRAIN_LIMIT:
            message = await receive()
            if message["type"] != "http.request":
                break
            dropped += len(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = json.dumps(
            {"detail": f"request body larger than {self.max_bytes:,} bytes (the server's limit)"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
