/**
 * The embedded DNS server of user-defined networks. The daemon listens on UDP port 53
 * of each such network's gateway address; containers on it get `nameserver <gateway>`.
 * It answers A queries for the names of that network's containers (name, aliases,
 * short id) from state and forwards every other query, as is, to upstream resolvers
 * (the host's, from /etc/resolv.conf), relaying their answer.
 */
import { createSocket, type Socket } from 'node:dgram';
import { TYPE_A, RCODE_NXDOMAIN, RCODE_SERVFAIL, buildResponse, parseQuery } from './dnsmsg.js';

/** Addresses of `name` on the network; undefined when the network does not know it. */
export type NameLookup = (networkId: string, name: string) => string[] | undefined;

export interface DnsOptions {
  port?: number;
  /** Upstream resolvers; [] answers SERVFAIL for unknown names instead of forwarding. */
  upstreams: () => string[];
  forwardTimeoutMs?: number;
}

export class DnsServer {
  private readonly sockets = new Map<string, Socket>();

  constructor(private readonly lookup: NameLookup, private readonly opts: DnsOptions) {}

  /** Starts answering for a network on address:port (idempotent). */
  async listen(networkId: string, address: string): Promise<void> {
    if (this.sockets.has(networkId)) return;
    const sock = createSocket({ type: 'udp4', reuseAddr: true });
    sock.on('message', (msg, rinfo) => void this.answer(sock, networkId, msg, rinfo.address, rinfo.port));
    sock.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(this.opts.port ?? 53, address, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    this.sockets.set(networkId, sock);
  }

  close(networkId: string): void {
    this.sockets.get(networkId)?.close();
    this.sockets.delete(networkId);
  }

  closeAll(): void {
    for (const id of [...this.sockets.keys()]) this.close(id);
  }

  private async answer(sock: Socket, networkId: string, msg: Buffer, addr: string, port: number): Promise<void> {
    const q = parseQuery(msg);
    if (!q) return;
    const name = q.name.replace(/\.$/, '');
    const found = this.lookup(networkId, name);
    let reply: Buffer | undefined;
    if (found) reply = buildResponse(msg, q, q.type === TYPE_A ? found : []);
    else if (!name.includes('.') && q.type === TYPE_A && this.opts.upstreams().length === 0) {
      reply = buildResponse(msg, q, [], RCODE_NXDOMAIN);
    } else reply = (await this.forward(msg)) ?? buildResponse(msg, q, [], RCODE_SERVFAIL);
    sock.send(reply, port, addr);
  }

  private async forward(msg: Buffer): Promise<Buffer | undefined> {
    for (const server of this.opts.upstreams()) {
      const r = await this.ask(server, msg);
      if (r) return r;
    }
    return undefined;
  }

  private ask(server: string, msg: Buffer): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const s = createSocket(server.includes(':') ? 'udp6' : 'udp4');
      const done = (b?: Buffer) => {
        clearTimeout(t);
        s.close();
        resolve(b);
      };
      const t = setTimeout(() => done(), this.opts.forwardTimeoutMs ?? 3000);
      s.on('error', () => done());
      s.on('message', (b) => done(b));
      s.send(msg, 53, server);
    });
  }
}
