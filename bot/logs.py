"""Logging set-up: discord.py's handler and format, with secrets scrubbed from every record."""

from __future__ import annotations

import logging

import discord

REDACTED = "[redacted]"


class RedactSecrets(logging.Filter):
    """Replaces known secret strings in a record's final message, wherever they appear."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # Short strings would redact ordinary words; real tokens and keys are long.
        self.secrets = [secret for secret in secrets if len(secret) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        cleaned = message
        for secret in self.secrets:
            cleaned = cleaned.replace(secret, REDACTED)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def setup_logging(level: str, secrets: list[str]) -> None:
    discord.utils.setup_logging(level=logging.getLevelName(level), root=True)
    redactor = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    # Alembic narrates every plugin and migration step at INFO; only its problems are news.
    if logging.getLevelName(level) > logging.DEBUG:
        logging.getLogger("alembic").setLevel(logging.WARNING)
