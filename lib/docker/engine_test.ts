import assert from "node:assert/strict";
import { join } from "node:path";
import {
  answerMessage,
  apiPrefix,
  ENGINE_SOCKET,
  engineSocket,
  FrameReader,
  parseAnswer,
} from "./engine.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("parseAnswer() reads a whole body and a chunked one, by bytes", () => {
  assert.deepEqual(
    parseAnswer(bytes('HTTP/1.1 201 Created\r\nContent-Length: 10\r\n\r\n{"Id":"x"}')),
    { status: 201, headers: { "content-length": "10" }, body: '{"Id":"x"}' },
  );
  // "é" is two bytes, split across two chunks: sizes count bytes, not characters.
  const e = new TextEncoder().encode("é");
  const chunked = new Uint8Array([
    ...bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n["a'),
    e[0]!,
    ...bytes("\r\n4\r\n"),
    e[1]!,
    ...bytes('b"]\r\n0\r\n\r\n'),
  ]);
  assert.deepEqual(parseAnswer(chunked), {
    status: 200,
    headers: { "transfer-encoding": "chunked" },
    body: '["aéb"]',
  });
});

Deno.test("parseAnswer() refuses a cut or malformed answer instead of guessing", () => {
  assert.throws(() => parseAnswer(bytes("HTTP/1.1 200 OK\r\nContent-Length: 3")), /end of headers/);
  assert.throws(() => parseAnswer(bytes("SSH-2.0-x\r\n\r\n")), /answered/);
  assert.throws(
    () => parseAnswer(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab")),
    /malformed/,
  );
  assert.throws(
    () => parseAnswer(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nab")),
    /ends early/,
  );
});

Deno.test("apiPrefix() asks in the engine's own API version, as the CLI negotiates it", () => {
  const ping = (headers: Record<string, string>) => ({ status: 200, headers, body: "OK" });
  assert.equal(apiPrefix(ping({ "api-version": "1.41" })), "/v1.41");
  // Docker 29 no longer serves 1.41: a fixed old version would fail there.
  assert.equal(apiPrefix(ping({ "api-version": "1.52" })), "/v1.52");
  assert.equal(apiPrefix(ping({})), "");
  assert.equal(apiPrefix(ping({ "api-version": "../../x" })), "");
  const parsed = parseAnswer(
    bytes("HTTP/1.1 200 OK\r\nApi-Version: 1.44\r\nContent-Length: 2\r\n\r\nOK"),
  );
  assert.equal(apiPrefix(parsed), "/v1.44");
});

Deno.test("answerMessage() quotes the engine's message, else the body", () => {
  assert.equal(
    answerMessage({ status: 400, headers: {}, body: '{"message":"Pool overlaps with other one"}' }),
    "Pool overlaps with other one",
  );
  assert.equal(answerMessage({ status: 500, headers: {}, body: "" }), "HTTP 500");
});

Deno.test("engineSocket() picks the CLI wherever the CLI would reach another engine", async () => {
  const home = await Deno.makeTempDir();
  try {
    const base = { HOME: home };
    for (
      const env of [
        { ...base, BOT_BOTTLE_DOCKER_API: "0" },
        { ...base, DOCKER_HOST: "tcp://10.0.0.2:2376" },
        { ...base, DOCKER_HOST: "unix:///run/user/1000/docker.sock" },
        { ...base, DOCKER_CONTEXT: "colima" },
      ]
    ) {
      assert.equal(engineSocket(env), undefined, JSON.stringify(env));
    }
    await Deno.mkdir(join(home, ".docker"));
    await Deno.writeTextFile(
      join(home, ".docker", "config.json"),
      JSON.stringify({ currentContext: "desktop-linux" }),
    );
    assert.equal(engineSocket(base), undefined, "a current context other than default");
    // DOCKER_HOST wins over the config's context, as for the CLI.
    const named = { ...base, DOCKER_HOST: `unix://${ENGINE_SOCKET}` };
    const granted = Deno.permissions.querySync({ name: "net", host: `unix:${ENGINE_SOCKET}` })
      .state === "granted";
    const present = await Deno.stat(ENGINE_SOCKET).then(() => true, () => false);
    assert.equal(engineSocket(named), granted && present ? ENGINE_SOCKET : undefined);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("FrameReader splits the exec stream by its frame headers, however it arrives", () => {
  const frame = (stream: number, text: string) => {
    const payload = new TextEncoder().encode(text);
    const head = new Uint8Array(8);
    head[0] = stream;
    new DataView(head.buffer).setUint32(4, payload.length);
    return new Uint8Array([...head, ...payload]);
  };
  const all = new Uint8Array([
    ...frame(1, "out é"),
    ...frame(2, "err"),
    ...frame(1, "x".repeat(70_000)),
  ]);
  for (const step of [1, 3, 8, 9, 4096, all.length]) {
    const reader = new FrameReader();
    for (let at = 0; at < all.length; at += step) reader.push(all.slice(at, at + step));
    const text = (parts: Uint8Array[]) =>
      new TextDecoder().decode(new Uint8Array(parts.flatMap((p) => [...p])));
    assert.equal(text(reader.stdout), `out é${"x".repeat(70_000)}`, `pieces of ${step}`);
    assert.equal(text(reader.stderr), "err");
    assert.equal(reader.leftover, 0);
  }
});
