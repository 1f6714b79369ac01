/**
 * @module
 * The bundle's DNS responder: the agent's only resolver. It answers every query with
 * REFUSED at once and forwards nothing, so no lookup leaves the machine through the
 * agent's path (DNS exfiltration has no channel) and tools fail fast instead of
 * waiting for a timeout. Docker answers the bottle's own names before asking here.
 */

import dgram from "node:dgram";
import type { AuditLog } from "../egress/audit.ts";

/** DNS port. */
export const DNS_PORT = 53;

/**
 * The reply to one query: same id and question, QR set, RD copied, RA clear, RCODE 5
 * (REFUSED), no records. Returns undefined for anything that is not a query.
 */
export function refuse(query: Uint8Array): Uint8Array | undefined {
  if (query.length < 12) return undefined;
  const flags = (query[2]! << 8) | query[3]!;
  if (flags & 0x8000) return undefined; // a response, not a query
  const qdcount = (query[4]! << 8) | query[5]!;
  const end = questionEnd(query, qdcount);
  const reply = new Uint8Array(end);
  reply.set(query.subarray(0, end));
  reply[2] = 0x80 | (query[2]! & 0x79) | (query[2]! & 0x01); // QR, opcode, RD
  reply[3] = 0x05; // RA=0, RCODE=REFUSED
  // Only the question section is echoed: no answer, authority or additional records.
  reply[6] =
    reply[7] =
    reply[8] =
    reply[9] =
    reply[10] =
    reply[11] =
      0;
  if (end === 12) reply[4] = reply[5] = 0;
  return reply;
}

/** Offset after the question section, or 12 when it cannot be parsed. */
function questionEnd(msg: Uint8Array, qdcount: number): number {
  let off = 12;
  for (let q = 0; q < qdcount; q++) {
    for (;;) {
      if (off >= msg.length) return 12;
      const len = msg[off]!;
      if (len === 0) {
        off++;
        break;
      }
      if (len & 0xc0) return 12; // compression in a question: not from a real resolver
      off += len + 1;
    }
    off += 4;
    if (off > msg.length) return 12;
  }
  return off;
}

/** The query's name, reduced to label count and the last two labels (never the rest). */
export function describeName(query: Uint8Array): string {
  const labels: string[] = [];
  let off = 12;
  while (off < query.length && query[off]! !== 0 && labels.length < 128) {
    const len = query[off]!;
    if (len & 0xc0) break;
    labels.push(new TextDecoder().decode(query.subarray(off + 1, off + 1 + len)));
    off += len + 1;
  }
  return `${labels.length} labels, *.${labels.slice(-2).join(".")}`;
}

/** Starts the responder on `address`; the returned function stops it. */
export function startDns(address: string, audit: AuditLog, port = DNS_PORT): Promise<() => void> {
  const socket = dgram.createSocket("udp4");
  let logged = 0;
  socket.on("message", (msg, rinfo) => {
    const query = new Uint8Array(msg);
    const reply = refuse(query);
    if (!reply) return;
    socket.send(reply, rinfo.port, rinfo.address);
    // Enough to see exfiltration attempts without flooding the log or recording
    // what the names carry.
    if (logged++ < 1000) audit.write({ kind: "dns", action: "refuse", query: describeName(query) });
  });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, address, () => resolve(() => socket.close()));
  });
}
