"""The daemons' log lines: text for a terminal, or one JSON object a line (``--log-format json``).

A record's ``fields`` (``log.info(..., extra={"fields": {...}})``) become keys of its JSON object.
Nothing here adds key material: the daemons never pass a key or password to a logger.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(line, default=str)


def configure(log_format: str, level: str) -> None:
    """Set the ``gridbalance`` loggers' level; in ``json`` format, the root handlers (the CLI's
    stderr handler) write JSON lines."""
    logging.getLogger("gridbalance").setLevel(level.upper())
    if log_format != "json":
        return
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())
