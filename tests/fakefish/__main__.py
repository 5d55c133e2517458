"""Run the stand-in by hand: `python -m tests.fakefish --port 8787 [--ttfb 0.3 --rtf 0.5
--max-concurrency 5]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .server import FakeFish


async def serve(args: argparse.Namespace) -> None:
    fake = FakeFish(
        api_key=args.api_key,
        host=args.host,
        port=args.port,
        ttfb=args.ttfb,
        rtf=args.rtf,
        opus_frame_ms=args.opus_frame_ms,
        packets_per_page=args.packets_per_page,
        credit=args.credit,
        max_concurrency=args.max_concurrency,
    )
    async with fake:
        print(
            f"FakeFish listening on {fake.base_url}  (FISH_BASE_URL={fake.base_url}, key {args.api_key!r})",
            flush=True,
        )
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakefish", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--api-key", default="test-key")
    parser.add_argument("--ttfb", type=float, default=0.0, help="seconds before the first audio byte")
    parser.add_argument("--rtf", type=float, default=0.0, help="wall seconds per audio second (0 = fast)")
    parser.add_argument("--opus-frame-ms", type=int, default=20, choices=(20, 40, 60))
    parser.add_argument("--packets-per-page", type=int, default=10)
    parser.add_argument("--credit", default="10.00")
    parser.add_argument("--max-concurrency", type=int, default=None,
                        help="the account's concurrency limit (Starter 5): 429 beyond it")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
