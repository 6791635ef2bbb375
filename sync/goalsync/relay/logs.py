"""Keep tokens out of the relay's logs, whatever the log level.

At DEBUG level the ``websockets`` library logs each request line and header: the
``?token=`` of a URL and the ``Authorization`` header would land in the log. The
relay hands ``websockets`` a logger whose filter blanks them out.
"""

from __future__ import annotations

import logging
import re

__all__ = ["RedactTokens", "redact", "websockets_logger"]

_SECRET = re.compile(r"(?i)(token=)[^&\s\"'<>]+|(bearer\s+)[^\s\"'<>]+")


def redact(text: str) -> str:
    """``text`` with query tokens and Bearer credentials replaced by ``[redacted]``."""
    return _SECRET.sub(lambda m: (m.group(1) or m.group(2)) + "[redacted]", text)


class RedactTokens(logging.Filter):
    """Rewrites a record whose rendered message carries a credential."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def websockets_logger() -> logging.Logger:
    """The logger the relay passes to ``websockets`` (a child of ``goalsync.relay``)."""
    logger = logging.getLogger("goalsync.relay.websockets")
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
    return logger
