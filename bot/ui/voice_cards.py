"""Embeds for voices, and the paginated search view of the community library."""

from __future__ import annotations

import math
from dataclasses import dataclass

import discord

from bot.fish import DEFAULT_CDN_BASE, FishClient, PaginatedResponse, Voice, public_url
from bot.i18n import _, ngettext
from bot.i18n.formatting import number
from bot.speech.service import SpeechService
from bot.storage.settings import SettingsStore
from bot.storage.voice_owners import VoiceOwners
from bot.ui.views import MemberView
from bot.ui.voice_actions import VoiceActions
from bot.wording.cloning import visibility_name

PAGE_SIZE = 10  # the API's (and the SDK's) default page size
SEARCH_TIMEOUT_S = 300.0


def _sample_text(voice: Voice) -> str | None:
    return next((s.text for s in voice.samples if s.text), None)


def cover_url(voice: Voice, cdn_base: str = DEFAULT_CDN_BASE) -> str | None:
    """The cover as a thumbnail URL: Fish sends an absolute URL or a path relative to its public CDN
    (`coverimage/<id>`, §0 of the API notes), joined here onto `cdn_base` (`fish.cdn_base`)."""
    return public_url(voice.cover_image, cdn_base)


def sample_url(voice: Voice, cdn_base: str = DEFAULT_CDN_BASE) -> str | None:
    return public_url(voice.sample_audio, cdn_base)


def voice_embed(voice: Voice, cdn_base: str = DEFAULT_CDN_BASE) -> discord.Embed:
    """Everything /voices info shows. Title, description, author, tags, language codes and sample
    text are the voice's own data, shown as they are."""
    embed = discord.Embed(title=voice.title[:256], description=voice.description[:2000] or None,
                          colour=discord.Colour.teal())
    if voice.author is not None:
        embed.add_field(name=_("Author"), value=discord.utils.escape_markdown(voice.author.nickname or "?"))
    embed.add_field(name=_("Tags"), value=", ".join(voice.tags)[:1024] or _("none"))
    embed.add_field(name=_("Languages"), value=", ".join(voice.languages)[:1024] or _("not given"))
    embed.add_field(name=_("Visibility"), value=visibility_name(voice.visibility))
    embed.add_field(name=_("Used"), value=ngettext("{count} time", "{count} times", voice.task_count).format(
        count=number(voice.task_count)))
    embed.add_field(name=_("Likes"), value=number(voice.like_count))
    if voice.created_at is not None:
        # A Discord timestamp: each member's client shows it in their own language and time zone.
        embed.add_field(name=_("Created"), value=discord.utils.format_dt(voice.created_at, "D"))
    sample = _sample_text(voice)
    if sample:
        embed.add_field(name=_("Sample text"), value=sample[:1024], inline=False)
    url = cover_url(voice, cdn_base)
    if url:
        embed.set_thumbnail(url=url)
    embed.set_footer(text=_("Voice id {voice_id}").format(voice_id=voice.id))
    return embed


class VoiceCard(VoiceActions):
    """Preview / Use as my voice / Details for one voice picked from a list."""

    def __init__(self, speech: SpeechService, store: SettingsStore, owners: VoiceOwners, owner_id: int,
                 voice: Voice, cdn_base: str = DEFAULT_CDN_BASE) -> None:
        super().__init__(speech, store, owners, owner_id, voice_id=voice.id, title=voice.title,
                         sample_text=_sample_text(voice), sample_audio=sample_url(voice, cdn_base))
        self.voice = voice
        self.cdn_base = cdn_base
        self.details.label = _("Details")

    @discord.ui.button(label="Details", style=discord.ButtonStyle.secondary, custom_id="details")
    async def details(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_message(embed=voice_embed(self.voice, self.cdn_base), ephemeral=True)


@dataclass(frozen=True)
class SearchQuery:
    title: str | None
    tags: list[str]
    language: str | None
    sort_by: str  # "task_count" (popular) or "created_at" (newest)

    def describe(self) -> str:
        parts = [_("“{words}”").format(words=self.title) if self.title else _("all voices")]
        if self.tags:
            parts.append(_("tags {tags}").format(tags=", ".join(self.tags)))
        if self.language:
            parts.append(_("language {language}").format(language=self.language))
        parts.append(_("newest first") if self.sort_by == "created_at" else _("most used first"))
        return " · ".join(parts)


class VoiceSearchView(MemberView):
    """Pages of library voices with first/previous/next/last buttons and a menu of the page's voices."""

    def __init__(self, fish: FishClient, speech: SpeechService, store: SettingsStore, owners: VoiceOwners,
                 owner_id: int, query: SearchQuery, page: int, result: PaginatedResponse[Voice],
                 cdn_base: str = DEFAULT_CDN_BASE) -> None:
        super().__init__(owner_id, store, timeout=SEARCH_TIMEOUT_S)
        self.fish = fish
        self.speech = speech
        self.owners = owners
        self.query = query
        self.page = page
        self.result = result
        self.cdn_base = cdn_base
        self._last_seen: int | None = None  # a page found to be the last by landing past it
        self.previous.label = _("‹ Previous")
        self.next.label = _("Next ›")
        self._menu().placeholder = _("Pick a voice to hear or use it")
        self._sync()

    @property
    def reachable(self) -> int:
        """How many results can be paged to: Fish's listing is window-limited (§0), so `total`
        can be more than `accessible_upper_bound` / `max_offset` allow."""
        result = self.result
        bound = result.accessible_upper_bound
        reachable = bound if bound is not None else result.total
        if result.max_offset is not None:
            reachable = min(reachable, result.max_offset)
        return max(0, min(reachable, result.total) if result.total_is_exact is not False else reachable)

    @property
    def capped(self) -> bool:
        result = self.result
        return bool(result.window_limited) or result.total_is_exact is False or result.total > self.reachable

    @property
    def pages(self) -> int:
        pages = max(1, math.ceil(self.reachable / PAGE_SIZE))
        return min(pages, self._last_seen) if self._last_seen is not None else pages

    @staticmethod
    async def fetch(fish: FishClient, query: SearchQuery, page: int) -> PaginatedResponse[Voice]:
        return await fish.voices.list(
            page_size=PAGE_SIZE, page_number=page, title=query.title, tags=query.tags or None,
            language=query.language, sort_by=query.sort_by,
        )

    def embed(self) -> discord.Embed:
        description = self.query.describe()
        if not self.result.items:
            description += "\n\n" + _("No voices found. Try other words or fewer filters.")
        embed = discord.Embed(title=_("Fish Audio voices"), colour=discord.Colour.teal(),
                              description=description)
        for position, voice in enumerate(self.result.items, start=(self.page - 1) * PAGE_SIZE + 1):
            author = voice.author.nickname if voice.author and voice.author.nickname else "?"
            embed.add_field(
                name=f"{number(position)}. {voice.title}"[:256],
                value=_("by {author} · used {count}× · {tags}").format(
                    author=discord.utils.escape_markdown(author), count=number(voice.task_count),
                    tags=", ".join(voice.tags[:4]) or _("no tags"))[:1024],
                inline=False,
            )
        page, pages = number(self.page), number(self.pages)
        if self.capped:
            shown = min(self.reachable, self.pages * PAGE_SIZE)
            embed.set_footer(text=_("Page {page} of {pages} · showing the first {shown} of many — refine the "
                                    "search").format(page=page, pages=pages, shown=number(shown)))
        else:
            total = self.result.total
            embed.set_footer(text=ngettext("Page {page} of {pages} · {count} voice",
                                           "Page {page} of {pages} · {count} voices", total).format(
                page=page, pages=pages, count=number(total)))
        return embed

    def _menu(self) -> discord.ui.Select[VoiceSearchView]:
        # The menu item itself (the decorated `pick` is typed as its callback).
        return next(c for c in self.children if isinstance(c, discord.ui.Select) and c.custom_id == "pick")

    def _sync(self) -> None:
        first_page, last_page = self.page <= 1, self.page >= self.pages
        self.first.disabled = self.previous.disabled = first_page
        self.next.disabled = self.last.disabled = last_page
        menu = self._menu()
        menu.options = [
            discord.SelectOption(label=voice.title[:100] or voice.id, value=voice.id,
                                 description=voice.description[:100] or None)
            for voice in self.result.items
        ] or [discord.SelectOption(label=_("No voices on this page"), value="-")]
        menu.disabled = not self.result.items

    async def load(self, page: int) -> None:
        """Show `page` (kept within the pages that can be reached); never an empty page: landing
        past the real end (an estimated total) steps back to the last page that has voices."""
        page = min(max(1, page), self.pages)
        result = await self.fetch(self.fish, self.query, page)
        while not result.items and page > 1:
            self.result = result  # its window fields are the freshest word on how far results go
            self._last_seen = page - 1
            page = min(page - 1, self.pages)
            result = await self.fetch(self.fish, self.query, page)
        self.result = result
        self.page = page
        self._sync()

    async def _go(self, interaction: discord.Interaction, page: int) -> None:
        await interaction.response.defer()
        await self.load(page)
        await interaction.edit_original_response(embed=self.embed(), view=self)

    @discord.ui.button(label="≪", style=discord.ButtonStyle.secondary, custom_id="first")
    async def first(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._go(interaction, 1)

    @discord.ui.button(label="‹ Previous", style=discord.ButtonStyle.secondary, custom_id="previous")
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._go(interaction, self.page - 1)

    @discord.ui.button(label="Next ›", style=discord.ButtonStyle.secondary, custom_id="next")
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._go(interaction, self.page + 1)

    @discord.ui.button(label="≫", style=discord.ButtonStyle.secondary, custom_id="last")
    async def last(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._go(interaction, self.pages)

    @discord.ui.select(placeholder="Pick a voice to hear or use it", custom_id="pick", row=1)
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        voice = next((v for v in self.result.items if v.id == select.values[0]), None)
        if voice is None:
            await interaction.response.send_message(_("That voice is no longer on this page."),
                                                    ephemeral=True)
            return
        card = VoiceCard(self.speech, self.store, self.owners, self.owner_id, voice, self.cdn_base)
        embed = discord.Embed(title=voice.title[:256], colour=discord.Colour.teal(),
                              description=(voice.description or "")[:500] or None)
        url = cover_url(voice, self.cdn_base)
        if url:
            embed.set_thumbnail(url=url)
        await interaction.response.send_message(embed=embed, view=card, ephemeral=True)
        card.message = await interaction.original_response()
