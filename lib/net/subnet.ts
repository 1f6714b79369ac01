/**
 * @module
 * IPv4 CIDR arithmetic for choosing a bottle's internal network: a /28 from a pool,
 * picked from a hash of the bottle's name and probed past subnets already in use.
 */

/** A parsed IPv4 CIDR block. */
export interface Cidr {
  base: number;
  prefix: number;
}

/** Parses `a.b.c.d/n`; throws on anything else. */
export function parseCidr(text: string): Cidr {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!m) throw new Error(`not an IPv4 CIDR: "${text}"`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) throw new Error(`not an IPv4 CIDR: "${text}"`);
  const addr = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  return { base: addr - (addr % size), prefix };
}

/** Dotted-quad form of a 32-bit address. */
export function formatIp(addr: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(addr / 2 ** shift) % 256).join(".");
}

/** `a.b.c.d/n` */
export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.base)}/${cidr.prefix}`;
}

function size(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

/** Whether two blocks share any address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

/** The address `offset` places into the block. */
export function hostAt(cidr: Cidr, offset: number): string {
  return formatIp(cidr.base + offset);
}

/** FNV-1a, enough to spread bottle names over the pool. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Picks a free block of `/prefix` inside `pool` for `name`, avoiding every block in
 * `used` (unparseable entries are ignored: they are not IPv4). Returns undefined when
 * the pool is full.
 */
export function pickSubnet(
  pool: string,
  prefix: number,
  name: string,
  used: string[],
): Cidr | undefined {
  const p = parseCidr(pool);
  if (prefix < p.prefix) throw new Error(`pool ${pool} is smaller than a /${prefix}`);
  const taken = used.flatMap((u) => {
    try {
      return [parseCidr(u)];
    } catch {
      return [];
    }
  });
  const slots = 2 ** (prefix - p.prefix);
  const start = hash32(name) % slots;
  for (let i = 0; i < slots; i++) {
    const candidate = { base: p.base + ((start + i) % slots) * 2 ** (32 - prefix), prefix };
    if (!taken.some((t) => overlaps(t, candidate))) return candidate;
  }
  return undefined;
}
