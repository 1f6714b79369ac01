/**
 * DLP scanning cost on a 1 MiB JSON request body (a large Claude API request), as a
 * ratio against decoding the same body (the work the proxy does anyway). Throughput
 * in MB/s is the body size over the time per iteration.
 */

import { scanRequest } from "../../sidecars/egress/dlp.ts";

const line = JSON.stringify({
  role: "user",
  content: "function add(a, b) { return a + b; } // sum two numbers ",
});
const body = new TextEncoder().encode(
  `{"messages":[${Array(Math.ceil((1 << 20) / line.length)).fill(line).join(",")}]}`,
);
const values = ["sk-ant-bench-injected-credential-0123456789"];

Deno.bench({
  name: "decode 1 MiB body (baseline)",
  group: "dlp",
  baseline: true,
  fn: () => void new TextDecoder().decode(body),
});
Deno.bench({
  name: "decode + DLP scan of 1 MiB body",
  group: "dlp",
  fn: () =>
    void scanRequest({
      url: "/v1/messages?beta=true",
      headers: [],
      body: new TextDecoder().decode(body),
    }, values),
});
