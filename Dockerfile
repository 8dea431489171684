# netspace-mock as a CI service container. Configure it only through NETSPACE_MOCK_* variables.
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    NETSPACE_MOCK_HOST=0.0.0.0 NETSPACE_MOCK_PORT=8080 NETSPACE_MOCK_DB=/data/netspace-mock.db
WORKDIR /app
COPY pyproject.toml README.md ./
COPY netspace_mock ./netspace_mock
COPY fixtures ./fixtures
COPY schemas ./schemas
RUN pip install --no-cache-dir -e . \
 && useradd --system --uid 10001 --home-dir /app netspace \
 && mkdir /data && chown netspace /data
USER netspace
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=5 CMD ["python", "-m", "netspace_mock.healthcheck"]
ENTRYPOINT ["netspace-mock", "serve"]
