# fishbot: slim Python with ffmpeg and libopus, running as a non-root user.
FROM python:3.11-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg libopus0 \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 fishbot
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN pip install --no-cache-dir '.[postgres]'

# SQLite database and any other state live here; mount a volume to keep them.
RUN mkdir -p /data && chown fishbot:fishbot /data
VOLUME ["/data"]
ENV FISHBOT_DATA_DIR=/data \
    PYTHONUNBUFFERED=1

USER fishbot
# With metrics.port set (FISHBOT_METRICS__PORT), `fishbot health` asks /healthz whether the bot is
# connected to Discord; without it there is nothing to ask and it reports healthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["fishbot", "health"]
# DISCORD_TOKEN and FISH_API_KEY come from the environment (docker run -e / --env-file).
ENTRYPOINT ["fishbot"]
CMD ["run"]
