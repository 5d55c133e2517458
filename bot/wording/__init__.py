"""Wording: the one place where what happened (errors and outcomes, as data) becomes words for a
member, in the current language (the member's or the server's: the caller sets it).

    text, unexpected = describe_error(error)   # any error, for an interaction's reply
    text = notice(outcome)                      # what a voice session reports (bot.voice.outcomes)
"""

from bot.wording.errors import GENERIC_FAILURE, describe, describe_error
from bot.wording.fish import user_message

__all__ = ["GENERIC_FAILURE", "describe", "describe_error", "user_message"]
