import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCpuList, verifyCpuResources, type CpuHost } from './containers-resources.js';

const host: CpuHost = { cpus: 2, cpuset: () => ({ cpus: '0-1', mems: '0' }) };
const refused = (hc: Parameters<typeof verifyCpuResources>[0]) => {
  try { verifyCpuResources(hc, host); return ''; } catch (e) { return (e as Error).message; }
};

describe('verifyCpuResources (dockerd\'s checks against the host)', () => {
  it('parses cpu lists', () => {
    assert.deepEqual([...parseCpuList('0-2,4')!], [0, 1, 2, 4]);
    assert.equal(parseCpuList('abc'), undefined);
    assert.equal(parseCpuList('3-1'), undefined);
  });
  it('refuses more CPUs than the host has, in dockerd\'s words', () => {
    assert.equal(refused({ NanoCpus: 2e9 }), '');
    assert.equal(refused({ NanoCpus: 1e6 }), '');
    assert.equal(refused({ NanoCpus: 3e9 }), 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  });
  it('refuses cpusets outside the root cpuset and malformed ones', () => {
    assert.equal(refused({ CpusetCpus: '1' }), '');
    assert.equal(refused({ CpusetCpus: '0-3' }), 'Requested CPUs are not available - requested 0-3, available: 0-1');
    assert.equal(refused({ CpusetCpus: 'abc' }), 'Invalid value abc for cpuset cpus: invalid format: abc');
    assert.equal(refused({ CpusetMems: '1' }), 'Requested memory nodes are not available - requested 1, available: 0');
  });
});
