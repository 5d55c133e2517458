"""Views shared by the cogs: buttons only their member can press, a yes/no confirmation, and the
base of the forms (modals)."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import discord

from bot.i18n import N_, _
from bot.storage.settings import SettingsStore
from bot.tree import send_ephemeral, use_interaction_language
from bot.wording import describe_error

log = logging.getLogger(__name__)

NOT_YOURS = N_("These buttons belong to someone else's command. Run it yourself to get your own.")


class MemberView(discord.ui.View):
    """A view that only the member who caused it may use, and that disables itself on timeout."""

    def __init__(self, owner_id: int, store: SettingsStore, *, timeout: float | None = 180.0) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.store = store  # the server's language setting, for the presser's answers
        self.message: discord.InteractionMessage | discord.WebhookMessage | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        # A button's callback runs in a task of its own: answer in the presser's language.
        await use_interaction_language(interaction, self.store)
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(_(NOT_YOURS), ephemeral=True)
        return False

    def disable_all(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True

    async def on_error(self, interaction: discord.Interaction, error: Exception,
                       item: discord.ui.Item[discord.ui.View]) -> None:
        """A button's failure gets the same one ephemeral message a command's would."""
        text, unexpected = describe_error(error)
        if unexpected:
            log.error("unhandled error in a button of %s", type(self).__name__, exc_info=error)
        await send_ephemeral(interaction, text)

    async def on_timeout(self) -> None:
        self.disable_all()
        if self.message is not None:
            # The message may be gone or the token expired; then there is nothing to tidy.
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)


class AnsweredModal(discord.ui.Modal):
    """A form whose submission is answered in the member's language, and whose failure gets the
    same one ephemeral message a command's would. Subclasses implement `submitted`."""

    def __init__(self, store: SettingsStore, **options: Any) -> None:
        super().__init__(**options)
        self.store = store  # the server's language setting, for the answers

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        # The submission runs in a task of its own: answer in the member's language.
        await use_interaction_language(interaction, self.store)
        return True

    async def submitted(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        # Failures answered here rather than in `on_error`, whose signature differs between
        # discord.py's Modal and its View base (an override would need a type: ignore).
        try:
            await self.submitted(interaction)
        except Exception as error:
            text, unexpected = describe_error(error)
            if unexpected:
                log.error("unhandled error in the form %s of user %s", type(self).__name__,
                          interaction.user.id, exc_info=error)
            await send_ephemeral(interaction, text)


class ConfirmView(MemberView):
    """Asks one yes/no question; `value` is True, False, or None when it timed out."""

    def __init__(self, owner_id: int, store: SettingsStore, *, confirm_label: str | None = None,
                 style: discord.ButtonStyle = discord.ButtonStyle.danger,
                 timeout: float = 60.0) -> None:
        super().__init__(owner_id, store, timeout=timeout)
        self.value: bool | None = None
        self.confirm.label = confirm_label or _("Confirm")
        self.cancel.label = _("Cancel")
        self.confirm.style = style

    async def _finish(self, interaction: discord.Interaction, value: bool) -> None:
        self.value = value
        self.disable_all()
        await interaction.response.edit_message(view=self)
        self.stop()

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger, custom_id="confirm")
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._finish(interaction, True)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="cancel")
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._finish(interaction, False)
