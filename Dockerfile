# The stylecast worker: Debian (bookworm, through the official Node 20 image), Debian's Chromium, Node 20, the project
# with its models installed and its bundles built at build time. Untested here (these machines have no container
# runtime); see README "Many machines: workers on a queue".
#
#   docker build -t stylecast-worker --build-arg STYLECAST_MIRROR=http://mirror.local:8080 .
#   docker run --rm -v /mnt/clips:/shared stylecast-worker --queue redis://redis:6379 --shared-dir /shared
#
# STYLECAST_MIRROR (optional): a base URL serving the ../shared tree (models/…, media/…) for the set-up to download
# from instead of the models' public URLs (see README "Two commands"); empty = the public URLs.
FROM node:20-bookworm-slim

ARG STYLECAST_MIRROR=
ENV DEBIAN_FRONTEND=noninteractive \
    STYLECAST_CHROMIUM=/usr/bin/chromium \
    NODE_ENV=production

RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-dejavu-core ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/stylecast
# npm ci runs the set-up (fetch + verify + convert the models, preset style vectors) and the build (dist/, dist-cli/).
COPY . .
RUN chown -R node:node /opt/stylecast
USER node
RUN STYLECAST_MIRROR="${STYLECAST_MIRROR}" npm ci --include=dev \
 && node bin/stylecast.mjs --version \
 && npm cache clean --force

# One worker per container: scale by running more containers (compose.yaml's replicas, a Kubernetes Deployment).
# SIGTERM puts the jobs in flight back on the queue at once (exit 143); a container killed outright loses nothing
# either: its jobs are taken again by other workers within about a minute.
ENTRYPOINT ["node", "/opt/stylecast/bin/stylecast.mjs", "worker"]
CMD ["--queue", "redis://redis:6379", "--shared-dir", "/shared"]
