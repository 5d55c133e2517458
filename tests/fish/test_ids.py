"""The one parse of a Fish voice id (bot/fish/ids.py)."""

from __future__ import annotations

import pytest

from bot.fish import FishResponseError
from bot.fish.ids import VoiceId, fish_voice_id, model_path, parse_voice_id

ID = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("text", [
    ID + "#", ID + "?x=1", ID + "/", ID + "%23", "./" + ID, ID.upper(), f" {ID} ", f"{ID}\n",
    f"{ID}#{'f' * 32}", ID[:16] + "\u200b" + ID[16:], ID + "\u200d", "\ufeff" + ID, ID[:31], ID + "0",
    "０" + ID[1:],  # a fullwidth digit: "0" to a human, not to Fish
    "", None, 123, ID.encode(),
])
def test_anything_but_the_exact_id_is_no_id(text: object) -> None:
    assert parse_voice_id(text) is None


def test_the_exact_id_is_itself() -> None:
    assert parse_voice_id(ID) == ID
    assert fish_voice_id(ID) == ID


def test_an_id_from_fish_that_is_no_id_is_a_broken_response() -> None:
    with pytest.raises(FishResponseError):
        fish_voice_id(ID + "#")


def test_a_path_segment_is_quoted() -> None:
    assert model_path(VoiceId(ID)) == f"/model/{ID}"
    # Only the parser makes a VoiceId; were anything else to slip through, it stays one segment.
    assert model_path(VoiceId("a/b#c?d")) == "/model/a%2Fb%23c%3Fd"
