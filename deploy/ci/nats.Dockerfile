# NATS with JetStream for the container tests only, from Debian's package (no registry here).
FROM jt1078-ci/bookworm:minbase
RUN apt-get update && apt-get install -y --no-install-recommends nats-server && rm -rf /var/lib/apt/lists/*
EXPOSE 4222 8222
ENTRYPOINT ["nats-server"]
CMD ["-js", "-sd", "/data", "-m", "8222"]
