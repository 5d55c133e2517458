"""Saying something: the speech specification (`bot.speech.spec`) and the service that queues it
in voice or renders it as a file (`bot.speech.service`).

Import from the submodules: the voice layer uses the spec, and the service uses the voice layer.
"""
