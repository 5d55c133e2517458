"""Narration: reading a text channel aloud in the bot's voice session."""
