import assert from "node:assert/strict";
import { gitPushRefusal, pushCommands } from "./gitpush.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const pkt = (s: string) => (s.length + 4).toString(16).padStart(4, "0") + s;
const [A, B] = ["0".repeat(40), "1".repeat(40)];

/** A push request: its commands (capabilities on the first), a flush, then pack bytes. */
function push(refs: string[], capabilities: string): Uint8Array {
  const lines = refs.map((r, i) => pkt(`${A} ${B} ${r}${i === 0 ? `\0${capabilities}` : ""}\n`));
  return encoder.encode(lines.join("") + "0000PACK\0\0\0\x02\0\0\0\x00");
}

/** The pkt-lines of `bytes` (a flush as ""), nested in band 1 when `band` is set. */
function lines(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let p = 0; p + 4 <= bytes.length;) {
    const n = parseInt(decoder.decode(bytes.subarray(p, p + 4)), 16);
    out.push(n === 0 ? "" : decoder.decode(bytes.subarray(p + 4, p + n)));
    p += n === 0 ? 4 : n;
  }
  return out;
}

const request = (
  path = "/org/repo.git/git-receive-pack",
  type = "application/x-git-receive-pack-request",
) => ({
  method: "POST",
  path,
  headers: [["Content-Type", type]] as [string, string][],
});

Deno.test("pushCommands() reads the refs and capabilities of a push request", () => {
  assert.deepEqual(
    pushCommands(
      push(["refs/heads/main", "refs/tags/v1"], "report-status side-band-64k agent=git/2"),
    ),
    {
      refs: ["refs/heads/main", "refs/tags/v1"],
      capabilities: ["report-status", "side-band-64k", "agent=git/2"],
    },
  );
  assert.equal(pushCommands(encoder.encode("not pkt-lines at all")), undefined);
  assert.equal(pushCommands(encoder.encode("0000")), undefined);
});

Deno.test("a refused push is answered as git's server rejects one: every ref `ng` with the reason, also as a remote message", () => {
  const reason = "it carries GitHub token (rule github-token)\nin the body";
  const answer = gitPushRefusal(
    request(),
    push(["refs/heads/main", "refs/heads/leak"], "report-status side-band-64k quiet"),
    reason,
    true,
  )!;
  const text = decoder.decode(answer);
  const split = text.indexOf("\r\n\r\n");
  assert.match(text.slice(0, split), /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(text.slice(0, split), /Content-Type: application\/x-git-receive-pack-result/);
  assert.match(text.slice(0, split), /Connection: close/);
  const bands = lines(answer.subarray(split + 4));
  assert.equal(bands.at(-1), "", "a flush ends it");
  const message = bands.find((b) => b.startsWith("\x02"))!;
  assert.equal(
    message,
    "\x02bot-bottle refused this push: it carries GitHub token (rule github-token) in the body\n",
  );
  const report = encoder.encode(
    bands.filter((b) => b.startsWith("\x01")).map((b) => b.slice(1)).join(""),
  );
  assert.deepEqual(lines(report), [
    "unpack ok\n",
    "ng refs/heads/main bot-bottle refused this push: it carries GitHub token (rule github-token) in the body\n",
    "ng refs/heads/leak bot-bottle refused this push: it carries GitHub token (rule github-token) in the body\n",
    "",
  ]);
  // Without side bands: the report alone.
  const plain = gitPushRefusal(request(), push(["refs/heads/main"], "report-status"), "no", false)!;
  const body = plain.subarray(decoder.decode(plain).indexOf("\r\n\r\n") + 4);
  assert.deepEqual(lines(body), [
    "unpack ok\n",
    "ng refs/heads/main bot-bottle refused this push: no\n",
    "",
  ]);
});

Deno.test("any other refused request gets the proxy's own answer", () => {
  const body = push(["refs/heads/main"], "report-status");
  assert.equal(gitPushRefusal(request("/upload"), body, "r", true), undefined);
  assert.equal(
    gitPushRefusal(request(undefined, "application/octet-stream"), body, "r", true),
    undefined,
  );
  assert.equal(gitPushRefusal({ ...request(), method: "GET" }, body, "r", true), undefined);
  // A client that reads no report (git before report-status) would show nothing of it.
  assert.equal(
    gitPushRefusal(request(), push(["refs/heads/main"], "ofs-delta"), "r", true),
    undefined,
  );
  assert.equal(gitPushRefusal(request(), encoder.encode("garbage"), "r", true), undefined);
});
