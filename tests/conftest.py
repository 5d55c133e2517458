"""Shared fixtures. The whole-bot fixtures (bot, harness, guild) live in tests/bot_fixtures.py."""

pytest_plugins = ["tests.bot_fixtures"]
