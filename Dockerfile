# syntax=docker/dockerfile:1.7
# One image for every gridgov process: `gridgov serve <service>`, `gridgov relay <service>`,
# `gridgov migrate <service>` and `gridgov scheduler`. Configuration and secrets come from the
# environment at run time (GRIDGOV_*); nothing secret is baked in.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/gridgov
WORKDIR /src
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY gridgov ./gridgov
RUN /opt/gridgov/bin/pip install --no-compile . \
 && /opt/gridgov/bin/python -m compileall -q /opt/gridgov/lib

FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="gridgov" \
      org.opencontainers.image.description="Event-driven backend for grid-based social governance (网格化社会治理)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="gridgov" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"
RUN groupadd --system --gid 10001 gridgov \
 && useradd --system --uid 10001 --gid gridgov --home-dir /app --no-create-home --shell /usr/sbin/nologin gridgov \
 && mkdir -p /app/var \
 && chown -R 10001:10001 /app
COPY --from=build /opt/gridgov /opt/gridgov
COPY --chmod=0755 deploy/docker/healthcheck.py /usr/local/bin/gridgov-healthcheck
ENV PATH=/opt/gridgov/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GRIDGOV_ENVIRONMENT=production \
    GRIDGOV_LOG_JSON=true
WORKDIR /app
USER 10001:10001
EXPOSE 8001 8002 8003 8004 8005
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["gridgov-healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["gridgov"]
CMD ["--help"]
