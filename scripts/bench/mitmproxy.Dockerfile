# The peers the bench measures bot-bottle's proxy against: mitmproxy from Debian's
# packages (the proxy the system bot-bottle grew from used), with an addon that adds the
# same credential header bot-bottle's route adds; and socat, a byte relay written in C,
# the floor of what any proxy that copies bytes in user space moves.
FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends mitmproxy socat ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY addon.py /addon.py
