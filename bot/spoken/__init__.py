"""The rules of spoken text: what a message becomes when it is read aloud (cleaning, its language,
stand-ins, a server's pronunciation dictionary) and the server's speech settings. Below the speech
path: used by narration, /speak, the menu and /scene alike."""
