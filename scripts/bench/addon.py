"""Adds the route's credential header, as bot-bottle's proxy does for api.anthropic.com."""


class AddKey:
    def request(self, flow):
        if flow.request.pretty_host == "api.anthropic.com":
            flow.request.headers["x-api-key"] = "sk-bench-not-a-real-key"


addons = [AddKey()]
