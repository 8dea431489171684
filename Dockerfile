# netspace-mock as a CI service container. Configure it only through NETSPACE_MOCK_* variables.
# BASE_IMAGE: any image with python3 (3.11+) and its venv module, e.g. debian:bookworm with python3-venv.
# The mock lives in its own venv (a Debian python refuses a system-wide pip install), compiled to bytecode.
ARG BASE_IMAGE=python:3.12-slim
FROM ${BASE_IMAGE} AS build
COPY . /src
RUN python3 -m venv /opt/netspace-mock \
 && /opt/netspace-mock/bin/pip install --no-cache-dir --disable-pip-version-check --compile /src \
 && /opt/netspace-mock/bin/pip uninstall --yes --quiet pip setuptools

FROM ${BASE_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/netspace-mock/bin:$PATH \
    NETSPACE_MOCK_HOST=0.0.0.0 NETSPACE_MOCK_PORT=8080 NETSPACE_MOCK_DB=/data/netspace-mock.db
COPY --from=build /opt/netspace-mock /opt/netspace-mock
RUN groupadd --gid 10001 netspace \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /data --shell /usr/sbin/nologin netspace \
 && mkdir /data && chown netspace:netspace /data
USER netspace
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=5 CMD ["python", "-m", "netspace_mock.healthcheck"]
ENTRYPOINT ["netspace-mock", "serve"]
