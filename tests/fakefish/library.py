"""The voice library: a deterministic seed, the API's (loose) voice schema, listing rules.

Voices are stored exactly as the API would return them (JSON-ready dicts with `_id` aliases).
The API's schema is looser than the SDK's `Voice` model, and the seed reproduces that on
purpose: some voices have `train_mode: "full"` plus fields the SDK drops (`dmca_taken_down`,
`default_text`, `source`, `quality`, `unliked`), some lack `languages`/`lock_visibility` (which
have server-side defaults). The SDK's `voices.list()` fails on any page holding one of them:
that is the documented SDK defect, not a stand-in bug.

Hidden per-voice data that the API does not return (ranking score, title language) lives in
`VoiceLibrary.hidden`.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

SELF_USER_ID = "6650f0a1c2b3d4e5f6a7b8c9"  # the user behind the configured API key
OTHER_USERS = (
    ("6650f0a1c2b3d4e5f6a7b8d0", "Marina"),
    ("6650f0a1c2b3d4e5f6a7b8d1", "Kenji"),
    ("6650f0a1c2b3d4e5f6a7b8d2", "Lucía"),
)
SELF_NICKNAME = "fishbot-tester"
EPOCH = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MAX_OFFSET = 1000  # listing is windowed at about 1,000 entries (§0); `VoiceLibrary.max_offset`

TITLES = (
    "Calm Narrator",
    "Energetic Host",
    "Deep Movie Trailer",
    "Soft Whisper",
    "News Anchor",
    "Storyteller Grandma",
    "Anime Heroine",
    "Robot Assistant",
    "Pirate Captain",
    "Sports Commentator",
    "Meditation Guide",
    "Podcast Buddy",
    "Villain Monologue",
    "Cheerful Kid",
    "British Butler",
    "Radio DJ",
    "Documentary Voice",
    "Gamer Friend",
    "Audiobook Reader",
    "Sleepy Cat",
    "Tokyo Announcer",
    "Madrid Teacher",
    "Berlin Engineer",
    "Paris Poet",
    "Seoul Streamer",
    "Lisbon Sailor",
    "Beijing Guide",
    "Cowboy Drawl",
    "Opera Tenor",
    "Space Captain",
    "Forest Elf",
    "Detective Noir",
    "Game Show Host",
    "Bedtime Stories",
)
TAG_SETS = (
    ("male", "calm", "narration"),
    ("female", "energetic"),
    ("male", "deep", "trailer"),
    ("female", "soft", "asmr"),
    ("male", "news"),
    ("female", "old", "narration"),
    ("female", "anime", "young"),
    ("robot", "ai"),
    ("male", "character"),
    ("male", "sports", "energetic"),
)
LANGUAGES = (
    ("en",),
    ("en",),
    ("en",),
    ("ja",),
    ("es",),
    ("de",),
    ("fr",),
    ("ko",),
    ("pt",),
    ("zh",),
    ("en", "ja"),
)


def voice_id(seed: str) -> str:
    return hashlib.md5(seed.encode()).hexdigest()


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def author(user_id: str, nickname: str) -> dict[str, Any]:
    return {
        "_id": user_id,
        "nickname": nickname,
        "avatar": f"avatars/{user_id}.webp",  # relative to the public CDN, like cover_image (§0)
    }


def sample(voice: str, title: str, text: str) -> dict[str, Any]:
    """A sample whose `audio` is a path the server turns into a signed, expiring URL on its own
    host when it answers (see `FakeFish.published`)."""
    task = voice_id(f"task-{voice}")
    return {
        "title": title,
        "text": text,
        "task_id": task,
        "audio": f"samples/{voice}/{task}.mp3",
    }


@dataclass
class Hidden:
    score: float
    title_language: str
    # Training (§0: a new voice is `created`/`training` until polled `trained` or `failed`):
    # the state it reaches and the perf_counter() moment it gets there; None = already settled.
    settles_at: float | None = None
    outcome: str = "trained"


@dataclass
class VoiceLibrary:
    voices: dict[str, dict[str, Any]] = field(default_factory=dict)
    hidden: dict[str, Hidden] = field(default_factory=dict)
    user_id: str = SELF_USER_ID
    nickname: str = SELF_NICKNAME
    counter: int = 0
    max_offset: int = MAX_OFFSET  # how deep a listing can page (tests shrink it)

    # --- building ------------------------------------------------------------------------

    def make_voice(
        self,
        *,
        title: str,
        author_id: str | None = None,
        nickname: str | None = None,
        tags: list[str] | None = None,
        languages: list[str] | None = None,
        visibility: str = "public",
        train_mode: str = "fast",
        state: str = "trained",
        description: str = "",
        voice_type: str = "tts",
        created_at: datetime | None = None,
        task_count: int = 0,
        like_count: int = 0,
        cover_image: str | None = None,
        samples: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A voice dict in the API's shape; `extra` adds or (with value ...) removes fields."""
        self.counter += 1
        vid = voice_id(f"voice-{self.counter}-{title}")
        moment = created_at or EPOCH + timedelta(days=self.counter)
        owner = author_id or self.user_id
        voice: dict[str, Any] = {
            "_id": vid,
            "type": voice_type,
            "title": title,
            "description": description,
            "cover_image": cover_image if cover_image is not None else f"coverimage/{vid}",
            "train_mode": train_mode,
            "state": state,
            "tags": list(tags or []),
            "samples": samples if samples is not None else [sample(vid, title, f"Hello, I am {title}.")],
            "created_at": iso(moment),
            "updated_at": iso(moment),
            "languages": list(languages or []),
            "visibility": visibility,
            "lock_visibility": False,
            "like_count": like_count,
            "mark_count": like_count // 3,
            "shared_count": like_count // 5,
            "task_count": task_count,
            "liked": False,
            "marked": False,
            "author": author(owner, nickname or (self.nickname if owner == self.user_id else "someone")),
        }
        for key, value in extra.items():
            if value is ...:
                voice.pop(key, None)
            else:
                voice[key] = value
        return voice

    def add(
        self, voice: dict[str, Any], *, score: float | None = None, title_language: str | None = None
    ) -> dict:
        self.voices[voice["_id"]] = voice
        langs = voice.get("languages") or ["en"]
        self.hidden[voice["_id"]] = Hidden(
            score=score
            if score is not None
            else voice.get("like_count", 0) * 3 + voice.get("task_count", 0) / 10,
            title_language=title_language or langs[0],
        )
        return voice

    def seed(self) -> None:
        """34 public voices by three other users (some non-conforming), 4 private voices of
        other users, and 4 voices of the key's own user (all conforming, mixed visibility)."""
        for i, title in enumerate(TITLES):
            user, nick = OTHER_USERS[i % len(OTHER_USERS)]
            extra: dict[str, Any] = {}
            train_mode = "fast"
            if i % 5 == 3:  # train_mode "full" plus fields the SDK model does not know
                train_mode = "full"
                extra = {
                    "dmca_taken_down": False,
                    "default_text": f"This is {title}.",
                    "source": "upload",
                    "unliked": False,
                    "quality": {
                        "audios": [
                            {
                                "filename": "sample.wav",
                                "duration_ms": 14_200,
                                "language": LANGUAGES[i % len(LANGUAGES)][0],
                                "quality_passed": True,
                            }
                        ]
                    },
                }
            voice = self.make_voice(
                title=title,
                author_id=user,
                nickname=nick,
                tags=list(TAG_SETS[i % len(TAG_SETS)]),
                languages=list(LANGUAGES[i % len(LANGUAGES)]),
                train_mode=train_mode,
                description=f"{title}: a seeded stand-in voice.",
                task_count=(i * 7919) % 5000,
                like_count=(i * 104729) % 900,
                **extra,
            )
            if i % 5 != 3 and i % 7 == 4:  # fields with server-side defaults left out
                title_language = voice["languages"][0]
                del voice["languages"], voice["lock_visibility"]
                self.add(voice, title_language=title_language)
                continue
            self.add(voice)
        for i in range(4):
            user, nick = OTHER_USERS[i % len(OTHER_USERS)]
            self.add(
                self.make_voice(
                    title=f"Private Draft {i + 1}",
                    author_id=user,
                    nickname=nick,
                    tags=["draft"],
                    languages=["en"],
                    visibility="private",
                    task_count=i,
                )
            )
        for i, visibility in enumerate(("private", "private", "unlist", "public")):
            self.add(
                self.make_voice(
                    title=f"My Clone {i + 1}",
                    tags=["clone", "mine"],
                    languages=["en"],
                    visibility=visibility,
                    task_count=10 + i,
                    like_count=i,
                )
            )

    # --- access --------------------------------------------------------------------------

    def visible(self, voice: dict[str, Any]) -> bool:
        """Public and unlisted voices can be fetched by anyone; private ones only by the owner."""
        return voice.get("visibility") != "private" or self.owned(voice)

    def owned(self, voice: dict[str, Any]) -> bool:
        return voice.get("author", {}).get("_id") == self.user_id

    def get(self, vid: str) -> dict[str, Any] | None:
        voice = self.voices.get(vid)
        if voice is None or not self.visible(voice):
            return None
        self.settle(voice)
        return voice

    def train(self, voice: dict[str, Any], *, seconds: float, outcome: str, now: float) -> None:
        """Start training `voice`: `training` now, `outcome` after `seconds`."""
        voice["state"] = "training"
        hidden = self.hidden[voice["_id"]]
        hidden.settles_at, hidden.outcome = now + seconds, outcome

    def settle(self, voice: dict[str, Any], now: float | None = None) -> None:
        """Move a training voice to its outcome once its time has come."""
        hidden = self.hidden.get(voice["_id"])
        if hidden is None or hidden.settles_at is None:
            return
        if (now if now is not None else time.perf_counter()) >= hidden.settles_at:
            voice["state"] = hidden.outcome
            hidden.settles_at = None

    def listing(
        self,
        *,
        title: str | None,
        tags: list[str],
        self_only: bool,
        author_id: str | None,
        languages: list[str],
        title_languages: list[str],
        sort_by: str,
    ) -> list[dict[str, Any]]:
        """Filter and sort. `self=true` lists all own voices; otherwise only public ones are
        listed (other users' private and unlisted voices never appear). Repeated `tag` values must
        all match; repeated `language`/`title_language` values match any."""
        out = []
        for voice in self.voices.values():
            self.settle(voice)
            if self_only:
                if not self.owned(voice):
                    continue
            elif voice.get("visibility") != "public":
                continue
            if title and title.lower() not in voice["title"].lower():
                continue
            if tags and not set(tags) <= set(voice.get("tags", [])):
                continue
            if author_id and voice["author"]["_id"] != author_id:
                continue
            if languages and not set(languages) & set(voice.get("languages") or []):
                continue
            if title_languages and self.hidden[voice["_id"]].title_language not in title_languages:
                continue
            out.append(voice)
        if sort_by == "task_count":
            out.sort(key=lambda v: (-v.get("task_count", 0), v["_id"]))
        elif sort_by == "created_at":
            out.sort(key=lambda v: (v["created_at"], v["_id"]), reverse=True)
        else:  # "score", the API's default
            out.sort(key=lambda v: (-self.hidden[v["_id"]].score, v["_id"]))
        return out


def conforms_to_sdk(voice: dict[str, Any]) -> bool:
    """Whether the SDK's strict `Voice` model would accept this voice (tests use it)."""
    required = (
        "_id",
        "type",
        "title",
        "description",
        "cover_image",
        "train_mode",
        "state",
        "tags",
        "samples",
        "created_at",
        "updated_at",
        "languages",
        "visibility",
        "lock_visibility",
        "like_count",
        "mark_count",
        "shared_count",
        "task_count",
        "author",
    )
    return all(k in voice for k in required) and voice["train_mode"] == "fast"
