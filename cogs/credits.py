"""/credits, /usage and /quota, and the low-balance alert. The quota service itself lives in
bot/usage (exposed as `bot.usage`), so every cog that spends credits can reserve through it."""

from __future__ import annotations

import asyncio
import decimal
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import clock
from bot.errors import UserFacingError
from bot.fish import FishError, NotFoundError, Package
from bot.i18n import N_, _, ngettext, using_language
from bot.i18n.formatting import dollars, number, percent
from bot.i18n.resolve import guild_language
from bot.permissions import has_permissions, requires
from bot.usage import KINDS, Kind, LowBalanceMonitor, QuotaOverrides, UsageLedger
from bot.usage.billing import ModelSpend, Prices
from bot.usage.quotas import KIND_INFO, OVERRIDES_NAMESPACE, effective_limit
from bot.wording.quotas import bytes_explained, describe_amount, describe_wait

if TYPE_CHECKING:
    from bot.client import FishBot

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
# Labels are marked with N_ and translated where shown (the choices' names are translated by
# the command tree's Translator, from commands.pot).
KIND_TITLES: dict[Kind, str] = {
    "tts_bytes": N_("Speech"), "clones": N_("Voice clones"), "transcribe_seconds": N_("Transcription"),
    "voice_designs": N_("Voice designs"),
}
PERIODS: dict[str, tuple[str, int]] = {"today": ("Today", 0), "7d": ("Last 7 days", 7),
                                       "30d": ("Last 30 days", 30)}
PERIOD_TITLES: dict[str, str] = {"today": N_("Server usage: today"), "7d": N_("Server usage: last 7 days"),
                                 "30d": N_("Server usage: last 30 days")}
QUOTA_FIELDS: dict[str, str] = {
    "tts_bytes_per_member": N_("Speech bytes per member"),
    "tts_bytes_per_guild": N_("Speech bytes for the server"),
    "clones_per_member": N_("Voice clones per member"),
    "clones_per_guild": N_("Voice clones for the server"),
    "transcribe_minutes_per_member": N_("Transcription minutes per member"),
    "transcribe_minutes_per_guild": N_("Transcription minutes for the server"),
    "voice_designs_per_member": N_("Voice designs per member"),
    "voice_designs_per_guild": N_("Voice designs for the server"),
}
# The low-balance alert and /credits estimate how long the balance lasts at this window's rate.
RATE_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Rate:
    """What the whole bot spent in the last 7 days, as the ledger recorded it, priced."""

    spent: dict[tuple[Kind, str | None], int]
    cost: decimal.Decimal
    per_day: decimal.Decimal

    def days_left(self, balance: decimal.Decimal) -> float | None:
        """How many days `balance` lasts at this rate (None: nothing paid was spent)."""
        return None if self.per_day <= 0 else max(0.0, float(balance / self.per_day))


def _since(days: int) -> datetime:
    now = clock.utc_now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=max(0, days - 1)) if days else midnight


def _limit_text(kind: Kind, limit: int | None) -> str:
    return _("unlimited") if limit is None else describe_amount(kind, limit)


def _spent_line(totals: dict[Kind, int]) -> str:
    return " · ".join(describe_amount(kind, totals[kind]) for kind in KINDS)


def _speech_lines(rows: list[ModelSpend]) -> list[str]:
    """One line per model: "S2.1 Pro: 1,234 bytes ≈ $0.019", free models marked free."""
    lines = []
    for row in rows:
        label = row.label or _("model not recorded")
        amount = describe_amount("tts_bytes", row.billed_bytes)
        if row.free:
            lines.append(_("{model}: {amount} (free)").format(model=label, amount=amount))
        else:
            lines.append(_("{model}: {amount} ≈ {cost}").format(model=label, amount=amount,
                                                                cost=dollars(row.cost)))
    return lines


def _days_text(days: float | None) -> str:
    if days is None:
        return _("Nothing paid was spent in the last 7 days.")
    if days < 1:
        return _("At the last 7 days' rate the balance lasts less than a day.")
    whole = math.floor(days)
    return ngettext("At the last 7 days' rate the balance lasts about {count} day.",
                    "At the last 7 days' rate the balance lasts about {count} days.",
                    whole).format(count=number(whole))


class Credits(commands.Cog):
    quota = app_commands.Group(
        name="quota",
        description="This server's daily quotas for speech, cloning, transcription and voice design",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: FishBot, usage: UsageLedger) -> None:
        self.bot = bot
        self.usage = usage
        self.prices = Prices(bot.settings)
        self.monitor = LowBalanceMonitor(
            bot.settings.credits.low_balance_threshold, self._fetch_balance, self._deliver_alert
        )

    async def cog_load(self) -> None:
        if self._runs_monitor():
            self.balance_loop.change_interval(minutes=self.bot.settings.credits.check_interval_minutes)
            self.balance_loop.start()

    async def cog_unload(self) -> None:
        self.balance_loop.cancel()

    # --- permissions ---------------------------------------------------------------------------

    def _is_manager(self, interaction: discord.Interaction) -> bool:
        return interaction.guild is not None and has_permissions(interaction, manage_guild=True)

    async def _may_see_credits(self, interaction: discord.Interaction) -> bool:
        if await self.bot.is_bot_owner(interaction.user):
            return True
        return self.bot.settings.credits.allow_manage_guild and self._is_manager(interaction)

    async def _is_admin(self, interaction: discord.Interaction) -> bool:
        return self._is_manager(interaction) or await self.bot.is_bot_owner(interaction.user)

    # --- /credits -------------------------------------------------------------------------------

    @app_commands.command(name="credits", description="The bot's Fish Audio credit balance")
    async def credits(self, interaction: discord.Interaction) -> None:
        if not await self._may_see_credits(interaction):
            if self.bot.settings.credits.allow_manage_guild:
                raise UserFacingError(_("Only the bot's owners and members with the Manage Server "
                                        "permission can see the Fish Audio balance."))
            raise UserFacingError(_("Only the bot's owners can see the Fish Audio balance."))
        await interaction.response.defer(ephemeral=True, thinking=True)
        credit, package, rate = await asyncio.gather(
            self.bot.fish.account.get_credits(check_free_credit=True), self._package(), self._rate_or_none()
        )
        threshold = decimal.Decimal(str(self.bot.settings.credits.low_balance_threshold))
        low = credit.credit < threshold
        embed = discord.Embed(
            title=_("Fish Audio balance"),
            colour=discord.Colour.red() if low else discord.Colour.green(),
        )
        embed.add_field(name=_("API credit"), value=number(credit.credit))
        free = {True: _("Available"), False: _("Not available"), None: _("Unknown")}[credit.has_free_credit]
        embed.add_field(name=_("Free credit"), value=free)
        embed.add_field(name=_("Package"), value=self._package_text(package))
        if rate is not None:
            embed.add_field(name=_("Spent in the last 7 days (estimate)"), value=self._rate_text(rate),
                            inline=False)
            embed.add_field(name=_("How long it lasts"), value=_days_text(rate.days_left(credit.credit)),
                            inline=False)
        footer = (_("Low-balance alert below {threshold} — the balance is below it now.") if low
                  else _("Low-balance alert below {threshold}."))
        embed.set_footer(text=footer.format(threshold=number(threshold)))
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def rate(self) -> Rate:
        """The bot's spending over the last 7 days (over the ledger's whole life if it is younger,
        but at least a day), priced with the configured prices."""
        now = clock.utc_now()
        spent, first = await asyncio.gather(self.usage.spent_since(now - RATE_WINDOW),
                                            self.usage.first_recorded())
        window = RATE_WINDOW if first is None else min(RATE_WINDOW, max(now - first, timedelta(days=1)))
        cost = self.prices.total(spent)
        per_day = cost * decimal.Decimal(timedelta(days=1) / window)
        return Rate(spent=spent, cost=cost, per_day=per_day)

    async def _rate_or_none(self) -> Rate | None:
        """The rate, or None when the ledger can't be read: the balance and the alert matter more."""
        try:
            return await self.rate()
        except Exception:
            log.exception("could not estimate the bot's spending rate from the usage ledger")
            return None

    def _rate_text(self, rate: Rate) -> str:
        speech: dict[str | None, int] = {}
        other: dict[Kind, int] = {}
        for (kind, model), amount in rate.spent.items():
            if kind == "tts_bytes":
                speech[model] = speech.get(model, 0) + amount
            else:
                other[kind] = other.get(kind, 0) + amount
        lines = _speech_lines(self.prices.speech(speech))
        for kind in ("transcribe_seconds", "voice_designs"):
            if other.get(kind):
                lines.append(_("{kind}: {amount} ≈ {cost}").format(
                    kind=_(KIND_TITLES[kind]), amount=describe_amount(kind, other[kind]),
                    cost=dollars(self.prices.cost(kind, other[kind]))))
        lines.append(_("Total ≈ {cost}, about {per_day} a day").format(
            cost=dollars(rate.cost), per_day=dollars(rate.per_day)))
        return "\n".join(lines)

    async def _package(self) -> Package | str:
        """The prepaid package, or why there is none to show (it never fails /credits)."""
        try:
            return await self.bot.fish.account.get_package()
        except NotFoundError:
            return _("No package")
        except FishError as exc:
            log.info("could not load the Fish package: %s", type(exc).__name__)
            return _("Couldn't load it right now")

    @staticmethod
    def _package_text(package: Package | str) -> str:
        if isinstance(package, str):
            return package
        if package.balance is None and package.total is None:
            return _("No package")
        balance = number(package.balance) if package.balance is not None else "?"
        total = number(package.total) if package.total is not None else "?"
        if package.type:  # Fish's name for the package ("pro"): shown as it is
            return _("{balance} of {total} left ({type})").format(balance=balance, total=total,
                                                                 type=package.type)
        return _("{balance} of {total} left").format(balance=balance, total=total)

    # --- /usage -------------------------------------------------------------------------------

    @app_commands.command(name="usage", description="Your usage and quota today, or the server's usage")
    @app_commands.describe(view="Yours or the whole server's (Manage Server)",
                           period="For the server view: how far back")
    @app_commands.choices(
        view=[app_commands.Choice(name="Mine", value="mine"),
              app_commands.Choice(name="Server", value="server")],
        period=[app_commands.Choice(name=name, value=value) for value, (name, _days) in PERIODS.items()],
    )
    async def usage_command(
        self,
        interaction: discord.Interaction,
        view: app_commands.Choice[str] | None = None,
        period: app_commands.Choice[str] | None = None,
    ) -> None:
        admin = interaction.guild is not None and await self._is_admin(interaction)
        chosen: Literal["mine", "server"] = "server" if admin else "mine"
        if view is not None:
            chosen = "server" if view.value == "server" else "mine"
        if chosen == "server":
            if interaction.guild is None:
                raise UserFacingError(_("Server usage only exists in a server."))
            if not admin:
                raise UserFacingError(_("Only members with the Manage Server permission can see the "
                                        "server's usage. Yours: /usage view:Mine."))
            embed = await self._server_usage(interaction.guild, period.value if period else "today")
        else:
            embed = await self._own_usage(interaction)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _own_usage(self, interaction: discord.Interaction) -> discord.Embed:
        today = await self.usage.member_today(interaction.user.id, interaction.guild_id)
        title = (_("Your usage today in this server") if interaction.guild_id
                 else _("Your usage today in direct messages"))
        embed = discord.Embed(title=title, colour=discord.Colour.blurple())
        for kind in KINDS:
            used = describe_amount(kind, today.used[kind])
            remaining = today.remaining(kind)
            if remaining is None:
                value = _("{used} used · no daily limit").format(used=used)
            else:
                value = _("{used} used · {left} left").format(
                    used=used, left=describe_amount(kind, remaining))
            embed.add_field(name=_(KIND_TITLES[kind]), value=value, inline=False)
        by_model = await self.usage.speech_by_model(interaction.guild_id, _since(0),
                                                    user_id=interaction.user.id)
        if by_model:
            embed.add_field(name=_("Speech by model (estimated cost)"),
                            value="\n".join(_speech_lines(self.prices.speech(by_model))), inline=False)
        embed.set_footer(text=_("Quotas reset in {wait} (midnight UTC).").format(
            wait=describe_wait(today.reset_in)) + " " + bytes_explained())
        return embed

    async def _server_usage(self, guild: discord.Guild, period: str) -> discord.Embed:
        if period not in PERIODS:
            period = "today"
        days = PERIODS[period][1]
        since = _since(days)
        totals = await self.usage.guild_totals(guild.id, since)
        top = await self.usage.top_users(guild.id, since, limit=10)
        outcomes = await self.usage.outcome_counts(guild.id, since, "tts_bytes")
        by_model = await self.usage.speech_by_model(guild.id, since)
        embed = discord.Embed(title=_(PERIOD_TITLES[period]), colour=discord.Colour.blurple())
        for kind in KINDS:
            limit = (await self.usage.limits(kind, guild.id)).guild
            embed.add_field(
                name=_(KIND_TITLES[kind]),
                value=_("{amount} (daily server limit: {limit})").format(
                    amount=describe_amount(kind, totals[kind]), limit=_limit_text(kind, limit)),
                inline=False,
            )
        if by_model:
            embed.add_field(name=_("Speech by model (estimated cost)"),
                            value="\n".join(_speech_lines(self.prices.speech(by_model))), inline=False)
        lines = [f"{n}. <@{user_id}> — {_spent_line(spent)}" for n, (user_id, spent) in enumerate(top, 1)]
        embed.add_field(name=_("Top members"), value="\n".join(lines) or _("Nobody yet."), inline=False)
        embed.add_field(name=_("Speech cache"), value=self._cache_text(outcomes.get("cached", 0)),
                        inline=False)
        return embed

    def _cache_text(self, served: int) -> str:
        cache = self.bot.tts_cache
        period = ngettext("{count} request in this period was served from the cache.",
                          "{count} requests in this period were served from the cache.", served)
        hits = ngettext("{count} hit", "{count} hits", cache.hits)
        lookups = ngettext("{count} short request", "{count} short requests", cache.lookups)
        kept = ngettext("{count} clip kept", "{count} clips kept", len(cache))
        since = _("Since the bot started: {hits} of {lookups} ({rate}), {kept}.").format(
            hits=hits.format(count=number(cache.hits)), lookups=lookups.format(count=number(cache.lookups)),
            rate=percent(cache.hit_rate), kept=kept.format(count=number(len(cache))))
        return period.format(count=number(served)) + " " + since

    # --- /quota ---------------------------------------------------------------------------------

    @quota.command(name="show", description="This server's daily quotas")
    @requires(manage_guild=True)
    async def quota_show(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None  # guild_only
        overrides = await self.usage.overrides(interaction.guild_id) or QuotaOverrides()
        lines = []
        for name, label in QUOTA_FIELDS.items():
            kind = self._kind_of(name)
            configured = getattr(self.bot.settings.quotas, name)
            own = getattr(overrides, name)
            limit = effective_limit(configured, own, KIND_INFO[kind].scale)
            line = (_("**{label}**: {limit} (set here)") if own is not None
                    else _("**{label}**: {limit} (bot default)"))
            lines.append(line.format(label=_(label), limit=_limit_text(kind, limit)))
        embed = discord.Embed(title=_("Daily quotas in this server"), description="\n".join(lines),
                              colour=discord.Colour.blurple())
        embed.set_footer(text=_("Quotas reset at midnight UTC. Change one with /quota set."))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @quota.command(name="set", description="Lower one of this server's daily quotas")
    @app_commands.describe(limit="Which quota",
                           value="The new daily limit (0 = none allowed); leave out for the bot's default")
    @app_commands.choices(limit=[app_commands.Choice(name=label, value=name)
                                 for name, label in QUOTA_FIELDS.items()])
    @requires(manage_guild=True)
    async def quota_set(
        self,
        interaction: discord.Interaction,
        limit: app_commands.Choice[str],
        value: app_commands.Range[float, 0, 10_000_000] | None = None,
    ) -> None:
        assert interaction.guild_id is not None  # guild_only
        name = limit.value
        label = _(QUOTA_FIELDS[name])
        kind = self._kind_of(name)
        configured = getattr(self.bot.settings.quotas, name)
        if value is not None:
            if KIND_INFO[kind].scale == 1 and value != int(value):
                raise UserFacingError(_("{label} must be a whole number.").format(label=label))
            value = int(value) if KIND_INFO[kind].scale == 1 else value
            if configured and value > configured:
                bot_limit = describe_amount(kind, configured * KIND_INFO[kind].scale)
                raise UserFacingError(
                    _("The bot allows at most {limit} a day here; a server can only lower that.").format(
                        limit=bot_limit)
                )
        await self.bot.store.update_guild(interaction.guild_id, OVERRIDES_NAMESPACE, {name: value},
                                          model=QuotaOverrides)
        effective = effective_limit(configured, value, KIND_INFO[kind].scale)
        reply = (_("{label}: back to the bot's default {limit} a day.") if value is None
                 else _("{label}: now {limit} a day."))
        await interaction.response.send_message(
            reply.format(label=label, limit=_limit_text(kind, effective)), ephemeral=True
        )

    @staticmethod
    def _kind_of(field: str) -> Kind:
        return next(
            kind for kind, info in KIND_INFO.items() if field in (info.member_field, info.guild_field)
        )

    # --- low-balance alert ----------------------------------------------------------------------

    def _runs_monitor(self) -> bool:
        """One alert per deployment: only the process with shard 0 watches, and a threshold of 0
        turns the alert off."""
        shards = self.bot.shard_ids
        return self.bot.settings.credits.low_balance_threshold > 0 and (shards is None or 0 in shards)

    @tasks.loop(minutes=30)
    async def balance_loop(self) -> None:
        await self.check_balance()

    @balance_loop.before_loop
    async def _before_balance_loop(self) -> None:
        await self.bot.wait_until_ready()

    async def check_balance(self) -> str:
        """One run of the background task (also called directly by the tests)."""
        return await self.monitor.check()

    async def _fetch_balance(self) -> decimal.Decimal:
        return (await self.bot.fish.account.get_credits()).credit

    def _alert_text(self, balance: decimal.Decimal, rate: Rate | None) -> str:
        """In the current language: the channel's server language, or English in the owners' DMs."""
        threshold = self.bot.settings.credits.low_balance_threshold
        text = _(
            "⚠️ The bot's Fish Audio API credit is low: {balance} left (alert threshold {threshold}). "
            "Speech, cloning and transcription stop when it runs out; top it up at {url}. I'll tell you "
            "again only after it has recovered."
        ).format(balance=number(balance), threshold=number(threshold), url="https://fish.audio")
        if rate is None:  # the ledger could not be read: the alert goes out all the same
            return text
        lasts = _days_text(rate.days_left(balance))
        if rate.per_day > 0:
            lasts += " " + _("(The bot spent about {per_day} a day.)").format(per_day=dollars(rate.per_day))
        return text + "\n" + lasts

    async def _deliver_alert(self, balance: decimal.Decimal) -> bool:
        """Post to the configured channel, else DM the owners; True if anyone was told."""
        rate = await self._rate_or_none()
        text = self._alert_text(balance, rate)
        channel_id = self.bot.settings.credits.alert_channel_id
        if channel_id is not None:
            try:
                channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
                if not isinstance(channel, discord.abc.Messageable):
                    raise TypeError("not a channel messages can be sent to")
                guild = getattr(channel, "guild", None)
                with using_language(await guild_language(self.bot.store, guild)):
                    posted = self._alert_text(balance, rate)
                await channel.send(posted, allowed_mentions=NO_MENTIONS)
                return True
            except (discord.HTTPException, TypeError) as exc:
                log.warning("could not post the low-balance alert in channel %s (%s); "
                            "sending it to the owners instead", channel_id, type(exc).__name__)
        delivered = False
        for owner_id in sorted(await self.bot.owner_user_ids()):
            try:
                user = self.bot.get_user(owner_id) or await self.bot.fetch_user(owner_id)
                await user.send(text, allowed_mentions=NO_MENTIONS)
                delivered = True
            except discord.HTTPException as exc:
                log.warning("could not DM the low-balance alert to owner %s (%s)", owner_id,
                            type(exc).__name__)
        if not delivered:
            log.error("Fish Audio credit is low (%s) and nobody could be told", balance)
        return delivered



async def setup(bot: FishBot) -> None:
    await bot.add_cog(Credits(bot, bot.usage))
