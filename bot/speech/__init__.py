"""Saying something: the service that queues a speech spec (`bot.tts.spec`) in voice or renders
it as a file (`bot.speech.service`), and who may use which voice (`bot.speech.voices`, `.access`).

Import from the submodules.
"""
