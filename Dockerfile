# One image for web, worker and scheduler; docker-compose.yml picks the command.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 \
    DO_NOT_TRACK=1 DBT_SEND_ANONYMOUS_USAGE_STATS=false RUNTIME__DLTHUB_TELEMETRY=false \
    REFLEX_TELEMETRY_ENABLED=false REFLEX_CHECK_LATEST_VERSION=false \
    DATA_DIR=/data PATH="/app/.venv/bin:$PATH"

RUN apt-get update && apt-get install -y --no-install-recommends npm curl \
    && rm -rf /var/lib/apt/lists/* && pip install --no-cache-dir uv \
    && useradd --create-home --uid 1000 etlfabric

WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
RUN uv sync --frozen --no-dev && python -m etlfabric.toolchain \
    && mkdir -p /data && chown -R etlfabric /app /data

USER etlfabric
EXPOSE 3000
CMD ["etlfabric", "web"]
