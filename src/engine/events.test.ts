import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryEventService } from './events.js';

const S = 1_000_000_000n;

describe('MemoryEventService', () => {
  it('keeps a bounded ring and replays it from since', () => {
    let t = 100n * S;
    const ev = new MemoryEventService(3, () => (t += S));
    for (let i = 0; i < 5; i++) ev.emit({ Type: 'container', Action: `a${i}`, Actor: { ID: `c${i}`, Attributes: {} } });
    const sub = ev.subscribe({ since: 0 }, () => {});
    assert.deepEqual(sub.past.map((e) => e.Action), ['a2', 'a3', 'a4']);
    assert.deepEqual(ev.subscribe({ since: 104, until: 104.5 }, () => {}).past.map((e) => e.Action), ['a3']);
    assert.deepEqual(ev.subscribe({}, () => {}).past, [], 'no past without since');
  });

  it('fills time, timeNano, scope and the deprecated fields', () => {
    const ev = new MemoryEventService(10, () => 1_700_000_000_123_456_789n);
    const got: any[] = [];
    ev.subscribe({}, (e) => got.push(e));
    ev.emit({ Type: 'container', Action: 'start', Actor: { ID: 'abc', Attributes: { image: 'busybox', name: 'web' } } });
    ev.emit({ Type: 'network', Action: 'create', Actor: { ID: 'n1', Attributes: { name: 'net' } } });
    assert.equal(got[0].time, 1_700_000_000);
    assert.equal(got[0].scope, 'local');
    assert.deepEqual([got[0].status, got[0].id, got[0].from], ['start', 'abc', 'busybox']);
    assert.ok(got[1].timeNano > got[0].timeNano, 'strictly increasing');
    assert.equal(got[1].status, undefined);
  });

  it('filters like dockerd', () => {
    const ev = new MemoryEventService();
    const seen = (filters: Record<string, string[]>) => {
      const got: string[] = [];
      const sub = ev.subscribe({ filters }, (e) => got.push(`${e.Type}:${e.Action}`));
      ev.emit({ Type: 'container', Action: 'exec_start: sh -c true', Actor: { ID: 'abcdef', Attributes: { name: 'web', image: 'busybox:latest', 'com.x': 'y' } } });
      ev.emit({ Type: 'image', Action: 'tag', Actor: { ID: 'sha256:1', Attributes: { name: 'busybox:latest' } } });
      ev.emit({ Type: 'network', Action: 'connect', Actor: { ID: 'n1', Attributes: { name: 'bridge', container: 'abcdef' } } });
      sub.close();
      return got;
    };
    assert.deepEqual(seen({ type: ['image'] }), ['image:tag']);
    assert.deepEqual(seen({ event: ['exec_start'] }), ['container:exec_start: sh -c true']);
    assert.deepEqual(seen({ container: ['abc'] }), ['container:exec_start: sh -c true']);
    assert.deepEqual(seen({ container: ['web'] }), ['container:exec_start: sh -c true']);
    assert.deepEqual(seen({ image: ['busybox'] }), ['container:exec_start: sh -c true', 'image:tag']);
    assert.deepEqual(seen({ label: ['com.x=y'] }), ['container:exec_start: sh -c true']);
    assert.deepEqual(seen({ network: ['bridge'] }), ['network:connect']);
    assert.deepEqual(seen({}).length, 3);
    assert.equal(ev.subscribers, 0);
  });
});
