# syntax=docker/dockerfile:1
# One image per service, chosen by SERVICE: the service's jar beside the official daprd of the pinned version,
# started together by scripts/entrypoint.sh (the same script the local runner uses outside Docker).
# The jars come from docker-compose-setup.yml (or ./mvnw package): build them first.
#
#   docker build --build-arg SERVICE=api-facade --build-arg DAPR_VERSION=1.16.5 -t api-facade .
#
# DAPR_VERSION has no default here on purpose: it is written once, in .env, and compose passes it in.
ARG DAPR_VERSION

# The release's stable-components flavor: the same component set as the daprd the tests run (scripts/daprd.sh
# builds it with -tags stablecomponents); the plain tag carries every component, alpha ones included.
FROM daprio/daprd:${DAPR_VERSION}-stablecomponents AS daprd

FROM eclipse-temurin:21.0.8_9-jre AS runtime
# curl: the healthcheck. Nothing else is added to the JRE image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --home /app fanout
COPY --from=daprd /daprd /usr/local/bin/daprd
# COPY keeps the checkout's modes, which a strict umask (077) leaves unreadable to the user the image runs as.
COPY components/ /app/components/
COPY config/ /app/config/
RUN chmod -R a+rX /app/components /app/config
COPY --chmod=0755 scripts/entrypoint.sh scripts/healthcheck.sh /app/
# Declared only here, where the three images part: every layer above is built once and shared by all three.
ARG SERVICE
RUN test -n "$SERVICE" || (echo "build with --build-arg SERVICE=<module>" >&2; exit 1)
COPY --chmod=0644 ${SERVICE}/target/${SERVICE}.jar /app/app.jar
USER fanout
WORKDIR /app
ENV APP_JAR=/app/app.jar \
    DAPRD=/usr/local/bin/daprd \
    DAPR_RESOURCES_PATH=/app/components \
    DAPR_CONFIG=/app/config/daprd.yaml \
    JAVA_OPTS="-XX:+UseSerialGC -Xms32m -Xmx128m -XX:MaxMetaspaceSize=96m -XX:MaxDirectMemorySize=32m -Xss512k -XX:TrimNativeHeapInterval=5000 -XX:+ExitOnOutOfMemoryError"
# The JVM takes these options, or the build fails here rather than every container at its start.
RUN java $JAVA_OPTS -version
# Two calls of at most 2 s each (scripts/healthcheck.sh).
HEALTHCHECK --interval=5s --timeout=5s --start-period=60s --retries=3 CMD ["/app/healthcheck.sh"]
ENTRYPOINT ["/app/entrypoint.sh"]
