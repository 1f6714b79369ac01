# The peer the bench measures bot-bottle's interception against: mitmproxy from Debian's
# packages (the proxy the system bot-bottle grew from used), with an addon that adds the
# same credential header bot-bottle's route adds.
FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends mitmproxy ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY addon.py /addon.py
