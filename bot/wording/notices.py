"""What the bot tells a member after the fact, worded from data in the current language: why a
clip failed or a voice session ended, or that it waits long in the account's line for Fish
(bot.voice.outcomes), and a saved voice that went missing (bot.tts.gone)."""

from __future__ import annotations

from bot.errors import ClipStalled, FishUnavailable
from bot.i18n import N_, _, ngettext
from bot.i18n.formatting import duration, number
from bot.tts.gone import VoiceGoneNotice
from bot.voice.outcomes import ClipFailed, InLine, SessionEnded, StaleSkipped, VoiceNotice
from bot.wording.errors import describe
from bot.wording.fish import user_message

PART_WAY = N_("Fish Audio stopped sending audio part-way; the rest was skipped.")
# What went missing ({voice} is its name or id), then what was used instead.
GONE = {
    "voice": N_("The voice {voice} no longer exists on Fish Audio (it was deleted or made private)."),
    "server": N_("This server's default voice {voice} no longer exists on Fish Audio (it was deleted or "
                 "made private)."),
    "member": N_("Your saved voice {voice} no longer exists on Fish Audio (it was deleted or made private)."),
}
INSTEAD = {
    "server": N_("I forgot it and used the server's default voice instead. "
                 "Pick a new one with `/voice set`."),
    "bot": N_("I forgot it and used the bot's default voice instead. Pick a new one with `/voice set`."),
    "fish": N_("I forgot it and used Fish Audio's default voice instead. "
               "Pick a new one with `/voice set`."),
}


def place_in_line(place: int) -> str:
    """A member's Fish request has waited long for one of the account's concurrency slots
    (bot/fish/admission): its place in line, and that it still comes (never "try again")."""
    return _("Fish Audio is busy with this bot's other requests: yours is number {place} in "
             "line and starts as soon as it's its turn.").format(place=number(place))


def voice_notice(notice: VoiceNotice) -> str:
    """Why a requester's clip failed, why the session that would have played it ended, or its
    place in the account's line for Fish."""
    if isinstance(notice, InLine):
        return place_in_line(notice.place)
    if isinstance(notice, SessionEnded):
        where = notice.channel or _("the voice channel")
        if notice.reason == "removed":
            text = _("I was disconnected from {channel}, so I stopped speaking and cleared the queue.")
        else:
            text = _("I lost the voice connection in {channel} and Discord didn't let me back in, "
                     "so I stopped speaking and cleared the queue.")
        return text.format(channel=where)
    if isinstance(notice, StaleSkipped):  # narration: after "I couldn't read this aloud: "
        return ngettext(
            "it waited longer than {wait} behind other speech ({count} message skipped).",
            "it waited longer than {wait} behind other speech ({count} messages skipped).",
            notice.count).format(wait=duration(notice.max_wait_s), count=number(notice.count))
    assert isinstance(notice, ClipFailed)
    error = notice.error
    if isinstance(error, FishUnavailable):
        return describe(error) or ""
    if notice.part_way:
        return _(PART_WAY)
    if isinstance(error, ClipStalled):
        return describe(error) or ""
    return user_message(error)


def gone_notice(notice: VoiceGoneNotice) -> str:
    """A saved voice Fish no longer has (or its owner withdrew), and what was used instead."""
    shown = f"“{notice.name}”" if notice.name else f"`{notice.missing[:64]}`"
    return _(GONE[notice.whose]).format(voice=shown) + " " + _(INSTEAD[notice.instead])
