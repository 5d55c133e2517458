"""A loopback Discord voice server for discord.py's real, unmodified VoiceClient.

It plays both of Discord's parts in a voice connection, on 127.0.0.1:
- the main gateway's voice events: the bot's voice-state request (gateway opcode 4) is answered
  with VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE, fed through discord.py's own parsers;
- the voice server: a TLS WebSocket speaking voice gateway v8 (HELLO, IDENTIFY → READY, SELECT
  PROTOCOL → SESSION DESCRIPTION without DAVE, heartbeats, RESUME → RESUMED) and a UDP socket that
  answers IP discovery, decrypts the RTP packets (aead_xchacha20_poly1305_rtpsize) it receives and,
  like any RTP receiver (RFC 3550), sends RTCP receiver reports back to each sender once a second.
  (Those reports matter: discord.py 2.7.1's socket reader thread can sit in `select()` on the
  socket of a closed connection for up to 30 s; incoming traffic is what wakes it so it moves on to
  the new socket. Without any, a reconnect soon after connecting hangs in IP discovery.
  `LoopbackVoice(..., reports=False)` is a voice server that sends nothing unasked, to show it.)

Faults a test can inject: `close_voice(code)` closes the voice WebSocket with a close code (4006
session no longer valid, 4015 voice server crashed, 4014 disconnected...), `kick()` removes the bot
from its channel as a moderator would (VOICE_STATE_UPDATE without a channel, then close 4014),
`refuse` closes every new voice session, `lose_discoveries` leaves IP discovery requests unanswered,
`reports=False` sends no RTCP.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import itertools
import json
import os
import ssl
import struct
import time
from typing import Any

import aiohttp
import discord
import nacl.secret
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.discord_harness import BOT_USER_ID, FakeGuild, member_payload
from tests.discord_internals import gateway_event, http_session, voice_websocket

MODE = "aead_xchacha20_poly1305_rtpsize"


def _self_signed(tmp: str) -> tuple[str, str, bytes]:
    """A certificate for 127.0.0.1: (cert path, key path, PEM for the client to trust)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "loopback voice")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_path, key_path = os.path.join(tmp, "voice.crt"), os.path.join(tmp, "voice.key")
    with open(cert_path, "wb") as f:
        f.write(pem)
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path, pem


RTCP_RECEIVER_REPORT = 201
REPORT_INTERVAL_S = 1.0


class _UDP(asyncio.DatagramProtocol):
    def __init__(self, server: LoopbackVoice) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None
        self.peers: set[tuple[str, int]] = set()

    def report(self) -> None:
        """An empty RTCP receiver report (no report blocks) to every client seen."""
        packet = struct.pack(">BBHI", 0x80, RTCP_RECEIVER_REPORT, 1, 1)
        for peer in self.peers:
            if self.transport is not None:
                self.transport.sendto(packet, peer)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.peers.add(addr)
        if len(data) == 74 and data[:2] == b"\x00\x01":  # IP discovery request
            self.server.discoveries += 1
            if self.server.lose_discoveries > 0:
                self.server.lose_discoveries -= 1
                return
            reply = bytearray(74)
            struct.pack_into(">HHI", reply, 0, 2, 70, struct.unpack_from(">I", data, 4)[0])
            reply[8:8 + len(addr[0])] = addr[0].encode()
            struct.pack_into(">H", reply, 72, addr[1])
            assert self.transport is not None
            self.transport.sendto(bytes(reply), addr)
            return
        self.server._audio(data)


class LoopbackVoice:
    """Start with `async with LoopbackVoice(bot, guild) as voice:`; it installs itself as the
    bot's main gateway (for voice only) and gives discord.py an HTTP session that trusts it."""

    def __init__(self, bot: discord.Client, guild: FakeGuild, tmp_path: Any, *,
                 reports: bool = True) -> None:
        self.bot = bot
        self.guild = guild
        self._tmp = str(tmp_path)
        self.secret_key = os.urandom(32)
        self._ssrc = itertools.count(1000)
        self.packets: list[tuple[float, bytes]] = []  # (perf_counter, Opus payload), decrypted
        self.identifies = 0
        self.discoveries = 0  # IP discovery requests received
        # Leave this many IP discovery requests unanswered (a lost UDP reply: discord.py never asks
        # again, so its handshake hangs until its connect timeout).
        self.lose_discoveries = 0
        self.resumes = 0
        self.voice_state_requests: list[int | None] = []  # channel ids the bot asked for
        self.sockets: list[web.WebSocketResponse] = []
        self.channel_id: int | None = None  # where Discord thinks the bot is
        self.refuse = False  # close every new voice session with 4006 (a voice server gone bad)
        self.reports = reports  # False: no RTCP; the UDP socket only answers IP discovery
        self._session_counter = itertools.count(1)

    # --- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> LoopbackVoice:
        cert, key, pem = _self_signed(self._tmp)
        server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_ssl.load_cert_chain(cert, key)
        app = web.Application()
        app.router.add_get("/", self._websocket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=server_ssl)
        await site.start()
        self.ws_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        loop = asyncio.get_running_loop()
        self._udp, self._protocol = await loop.create_datagram_endpoint(
            lambda: _UDP(self), local_addr=("127.0.0.1", 0))
        self.udp_port = self._udp.get_extra_info("sockname")[1]
        self._reports = asyncio.create_task(self._send_reports())
        # discord.py opens the voice WebSocket with its HTTP client's session (set at login).
        client_ssl = ssl.create_default_context(cadata=pem.decode())
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_ssl))
        http_session(self.bot, self._session)
        voice_websocket(self.bot, lambda *_a, **_k: self)
        return self

    async def _send_reports(self) -> None:
        while True:
            await asyncio.sleep(REPORT_INTERVAL_S)
            if self.reports:
                self._protocol.report()

    async def __aexit__(self, *exc: object) -> None:
        self._reports.cancel()
        for ws in self.sockets:
            await ws.close()
        self._udp.close()
        await self._runner.cleanup()
        await self._session.close()

    # --- the main gateway's part -------------------------------------------------------------

    async def voice_state(self, guild_id: int, channel_id: int | None, self_mute: bool = False,
                          self_deaf: bool = False) -> None:
        """Gateway opcode 4 from discord.py: Discord answers with the two voice events (after a
        network hop: discord.py sets up its expectations right after sending)."""
        self.voice_state_requests.append(channel_id)
        asyncio.get_running_loop().call_soon(self._answer, channel_id, self_mute, self_deaf)

    def _answer(self, channel_id: int | None, self_mute: bool, self_deaf: bool) -> None:
        self._send_voice_state(channel_id, self_mute=self_mute, self_deaf=self_deaf)
        if channel_id is not None:
            gateway_event(self.bot, "voice_server_update", {
                "token": f"voice-token-{next(self._session_counter)}", "guild_id": str(self.guild.id),
                "endpoint": f"127.0.0.1:{self.ws_port}",
            })

    def _send_voice_state(self, channel_id: int | None, *, self_mute: bool = False,
                          self_deaf: bool = True) -> None:
        self.channel_id = channel_id
        self.guild.put_in_voice(BOT_USER_ID, channel_id)
        gateway_event(self.bot, "voice_state_update", {
            "guild_id": str(self.guild.id), "channel_id": str(channel_id) if channel_id else None,
            "user_id": str(BOT_USER_ID), "session_id": "main-session", "deaf": False, "mute": False,
            "self_deaf": self_deaf, "self_mute": self_mute, "self_video": False, "suppress": False,
            "request_to_speak_timestamp": None,
            "member": member_payload(BOT_USER_ID, "fishbot", bot=True),
        })

    @property
    def open(self) -> bool:  # Client.close() asks before closing its main gateway
        return False

    # --- faults ------------------------------------------------------------------------------

    async def close_voice(self, code: int) -> None:
        """The voice server closes the current voice WebSocket with `code`."""
        await self.sockets[-1].close(code=code)

    async def kick(self) -> None:
        """A moderator disconnects the bot: its voice state loses the channel, the voice server
        closes with 4014."""
        self._send_voice_state(None)
        await self.close_voice(4014)

    # --- the voice server's part -------------------------------------------------------------

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"op": 8, "d": {"heartbeat_interval": 41250.0}})
        async for message in ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue  # binary frames are DAVE's, which this server does not negotiate
            payload = json.loads(message.data)
            op, data = payload["op"], payload.get("d")
            if op == 0:  # IDENTIFY
                self.identifies += 1
                if self.refuse:
                    await ws.close(code=4006)
                    break
                await ws.send_json({"op": 2, "d": {"ssrc": next(self._ssrc), "ip": "127.0.0.1",
                                                   "port": self.udp_port, "modes": [MODE]}})
            elif op == 1:  # SELECT PROTOCOL
                assert data["data"]["mode"] == MODE
                await ws.send_json({"op": 4, "d": {"mode": MODE, "secret_key": list(self.secret_key),
                                                   "dave_protocol_version": 0}})
            elif op == 3:  # HEARTBEAT
                await ws.send_json({"op": 6, "d": data})
            elif op == 7:  # RESUME
                self.resumes += 1
                await ws.send_json({"op": 9, "d": None})
        return ws

    def _audio(self, packet: bytes) -> None:
        header, body = packet[:12], packet[12:]
        nonce = body[-4:] + bytes(20)
        try:
            opus = nacl.secret.Aead(self.secret_key).decrypt(body[:-4], header, nonce)
        except Exception:  # a packet under an old key, from before a reconnect
            return
        self.packets.append((time.perf_counter(), opus))

    def audio(self, silence: bytes = b"\xf8\xff\xfe") -> list[bytes]:
        """The Opus packets received, without silence frames."""
        return [p for _, p in self.packets if p != silence]
