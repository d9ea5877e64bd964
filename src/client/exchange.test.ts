import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from './client.js';
import { ConnectError } from './errors.js';

/** What the CLI's AutoStartClient relies on: every request, whole or streamed, passes exchange(). */
class Counting extends Client {
  calls = 0;
  protected override async exchange<T>(send: () => Promise<T>): Promise<T> {
    this.calls++;
    return super.exchange(send);
  }
}

test('JSON, raw, stream and ping requests all go through exchange(), which maps connect errors', async () => {
  const c = new Counting('unix:///nonexistent/hako.sock');
  const tries: Array<() => Promise<unknown>> = [
    () => c.get('/version'),
    () => c.post('/containers/x/start'),
    () => c.raw('GET', '/_ping'),
    () => c.stream('GET', '/events'),
    () => c.hijack('/containers/x/attach'),
    () => c.ping(),
  ];
  for (const t of tries) await assert.rejects(t(), (e) => e instanceof ConnectError && e.errno === 'ENOENT');
  assert.equal(c.calls, tries.length);
});
