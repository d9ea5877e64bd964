/** The small part of the DNS wire format (RFC 1035) the embedded server needs. */

export const TYPE_A = 1;
export const RCODE_NXDOMAIN = 3;
export const RCODE_SERVFAIL = 2;
export const RCODE_FORMERR = 1;

export interface Question {
  id: number;
  flags: number;
  name: string;
  type: number;
  cls: number;
  /** Byte offset just after the question (end of the echoed section). */
  end: number;
}

/** Parses the header and first question of a query; undefined when malformed. */
export function parseQuery(buf: Buffer): Question | undefined {
  if (buf.length < 12 || buf.readUInt16BE(4) < 1) return undefined;
  const labels: string[] = [];
  let off = 12;
  for (;;) {
    if (off >= buf.length) return undefined;
    const len = buf[off]!;
    if (len === 0) break;
    if (len > 63 || off + 1 + len > buf.length) return undefined;
    labels.push(buf.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  off += 1;
  if (off + 4 > buf.length) return undefined;
  return {
    id: buf.readUInt16BE(0), flags: buf.readUInt16BE(2), name: labels.join('.').toLowerCase(),
    type: buf.readUInt16BE(off), cls: buf.readUInt16BE(off + 2), end: off + 4,
  };
}

/** A response echoing the question with A records (authoritative, recursion available). */
export function buildResponse(query: Buffer, q: Question, addresses: string[], rcode = 0, ttl = 600): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  header.writeUInt16BE(0x8000 | 0x0400 | (q.flags & 0x0100) | 0x0080 | (rcode & 0xf), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const answers = addresses.map((a) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(TYPE_A, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(ttl, 6);
    rr.writeUInt16BE(4, 10);
    a.split('.').forEach((p, i) => rr.writeUInt8(Number(p), 12 + i));
    return rr;
  });
  return Buffer.concat([header, query.subarray(12, q.end), ...answers]);
}

/** A query for `name` (type A), for tests and the forwarder's health checks. */
export function buildQuery(id: number, name: string, type = TYPE_A): Buffer {
  const parts = name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  const head = Buffer.alloc(12);
  head.writeUInt16BE(id, 0);
  head.writeUInt16BE(0x0100, 2);
  head.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(type, 1);
  tail.writeUInt16BE(1, 3);
  return Buffer.concat([head, ...parts, tail]);
}

/** The A addresses and rcode of a response (for tests). */
export function parseAnswers(buf: Buffer): { rcode: number; addresses: string[] } {
  const q = parseQuery(buf);
  const rcode = buf.readUInt16BE(2) & 0xf;
  const addresses: string[] = [];
  if (!q) return { rcode, addresses };
  let off = q.end;
  for (let i = 0; i < buf.readUInt16BE(6) && off + 12 <= buf.length; i++) {
    off += (buf[off]! & 0xc0) === 0xc0 ? 2 : skipName(buf, off);
    const type = buf.readUInt16BE(off);
    const rdlen = buf.readUInt16BE(off + 8);
    if (type === TYPE_A && rdlen === 4) addresses.push([...buf.subarray(off + 10, off + 14)].join('.'));
    off += 10 + rdlen;
  }
  return { rcode, addresses };
}

function skipName(buf: Buffer, off: number): number {
  let n = 0;
  while (buf[off + n] !== 0 && (buf[off + n]! & 0xc0) !== 0xc0) n += buf[off + n]! + 1;
  return buf[off + n] === 0 ? n + 1 : n + 2;
}
