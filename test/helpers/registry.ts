/**
 * A throwaway docker-registry (distribution 2.8, Debian's) for pull/push tests: its
 * own temp storage, config and port on loopback; optional TLS (certificate made here
 * with openssl, signed by a test CA), htpasswd basic auth (bcrypt through perl's
 * crypt(), which uses libxcrypt) or bearer tokens from a small token server run in
 * the test process. stop() kills the registry by pid and removes everything.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSign, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RegistryOptions {
  /** Listen on [::1] instead of 127.0.0.1 (not insecure by default, so TLS is verified). */
  ipv6?: boolean;
  tls?: boolean;
  basic?: { user: string; password: string };
  bearer?: { user: string; password: string };
}

export interface TestRegistry {
  /** "127.0.0.1:5000" or "[::1]:5000" */
  host: string;
  dir: string;
  /** PEM of the CA that signed the registry's certificate (tls only). */
  caPem?: string;
  tokenRequests: number;
  stop(): Promise<void>;
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((res, rej) => {
    const s = createNetServer();
    s.on('error', rej);
    s.listen(0, host, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });

function makeCerts(dir: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=hako test CA'], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt',
    '-days', '2', '-extfile', 'ext.cnf'], dir);
}

function bcrypt(password: string): string {
  const salt = randomBytes(16).toString('base64').replace(/[^a-zA-Z0-9]/g, '.').slice(0, 22).replace(/.$/, 'u');
  return execFileSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, `$2b$05$${salt}`]).toString();
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** A token server issuing RS256 JWTs with an x5c header, as distribution's token auth expects. */
function tokenServer(dir: string, user: string, password: string, service: string, reg: { tokenRequests: number }): Server {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'token.key', '-out', 'token.crt', '-days', '2', '-subj', '/CN=token'], dir);
  const key = readFileSync(join(dir, 'token.key'));
  const der = new X509Certificate(readFileSync(join(dir, 'token.crt'))).raw;
  return createHttpServer((req, res) => {
    reg.tokenRequests++;
    const u = new URL(req.url ?? '/', 'http://x');
    const basic = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    if (req.headers.authorization !== basic) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    const access = u.searchParams.getAll('scope').map((s) => {
      const [type, ...rest] = s.split(':');
      const actions = rest.pop()!.split(',');
      return { type, name: rest.join(':'), actions };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] }));
    const claims = b64url(JSON.stringify({ iss: 'hako-test', sub: user, aud: service, exp: now + 600, nbf: now - 10, iat: now,
      jti: randomBytes(8).toString('hex'), access }));
    const sig = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token: `${header}.${claims}.${b64url(sig)}`, expires_in: 600 }));
  });
}

export async function startRegistry(o: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'hako-registry-'));
  const ip = o.ipv6 ? '::1' : '127.0.0.1';
  const port = await freePort(ip);
  const host = o.ipv6 ? `[::1]:${port}` : `127.0.0.1:${port}`;
  const reg: TestRegistry = { host, dir, tokenRequests: 0, stop: async () => {} };
  const lines = ['version: 0.1', 'log:', '  level: error', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:', '    enabled: true', 'http:', `  addr: "${host}"`];
  if (o.tls) {
    makeCerts(dir);
    reg.caPem = readFileSync(join(dir, 'ca.crt'), 'utf8');
    lines.push('  tls:', `    certificate: ${join(dir, 'server.crt')}`, `    key: ${join(dir, 'server.key')}`);
  }
  let tokens: Server | undefined;
  if (o.basic) {
    writeFileSync(join(dir, 'htpasswd'), `${o.basic.user}:${bcrypt(o.basic.password)}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: basic-realm', `    path: ${join(dir, 'htpasswd')}`);
  } else if (o.bearer) {
    const tport = await freePort();
    tokens = tokenServer(dir, o.bearer.user, o.bearer.password, 'hako-test-registry', reg);
    await new Promise<void>((r) => tokens!.listen(tport, '127.0.0.1', r));
    lines.push('auth:', '  token:', `    realm: http://127.0.0.1:${tport}/token`, '    service: hako-test-registry',
      '    issuer: hako-test', `    rootcertbundle: ${join(dir, 'token.crt')}`);
  }
  writeFileSync(join(dir, 'config.yml'), lines.join('\n') + '\n');
  const proc: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  reg.stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await new Promise<void>((r) => (tokens ? tokens.close(() => r()) : r()));
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((res) => {
      const fn = o.tls ? httpsRequest : request;
      const rq = fn({ host: ip, port, path: '/v2/', rejectUnauthorized: false, timeout: 1000 }, (r) => { r.resume(); res(true); });
      rq.on('error', () => res(false));
      rq.end();
    });
    if (up) return reg;
    if (proc.exitCode !== null || Date.now() > deadline) {
      await reg.stop();
      throw new Error(`docker-registry did not start:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
