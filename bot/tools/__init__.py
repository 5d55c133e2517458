"""Developer tools that build the whole bot (the top of the layers): `python -m bot.tools.extract`
refreshes the translation catalogs."""
