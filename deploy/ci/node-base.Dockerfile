# The local stand-in for node:20-bookworm-slim (deploy/ci/make-local-base.sh): Debian bookworm
# minbase plus npm's prebuilt Node 20 and npm, laid out as the official image lays them out.
FROM jt1078-ci/bookworm:minbase
COPY node.tgz npm.tgz /tmp/
RUN tar -xzf /tmp/node.tgz --strip-components=1 -C /usr/local --no-same-owner \
 && mkdir -p /usr/local/lib/node_modules/npm \
 && tar -xzf /tmp/npm.tgz --strip-components=1 -C /usr/local/lib/node_modules/npm --no-same-owner \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && rm -rf /usr/local/share /usr/local/LICENSE /tmp/*.tgz \
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
# No nodejs.org here: native addons build against the headers that came with the binary.
ENV npm_config_nodedir=/usr/local
COPY ca-certificates.crt /usr/local/etc/jt1078-ci/ca-certificates.crt
# The build machine's trust store (make-local-base.sh), added to Node's own.
ENV NODE_EXTRA_CA_CERTS=/usr/local/etc/jt1078-ci/ca-certificates.crt
CMD ["node"]
