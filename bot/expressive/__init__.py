"""Expressive speech: delivery cues per model, scenes with several voices, voices from a description."""
