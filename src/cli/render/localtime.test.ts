import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { loadZone, posixZone, tzifZone } from './localtime.js';
import { goTimeString } from './time.js';

/** The offset (seconds east) ICU gives a zone at `ms`, the reference the TZif reading must match. */
const formats = new Map<string, Intl.DateTimeFormat>();
function icuOffset(timeZone: string, ms: number): number {
  let f = formats.get(timeZone);
  if (!f) formats.set(timeZone, (f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })));
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)]));
  return (Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(ms / 1000) * 1000) / 1000;
}

const ZONES = ['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham', 'Europe/Dublin', 'America/Los_Angeles'];

test('TZif zones give the offsets ICU gives, 1975-2090 (past 2037 through the footer rule)', { skip: !existsSync('/usr/share/zoneinfo/Europe/Berlin') && 'no zoneinfo' }, () => {
  for (const name of ZONES) {
    const zone = tzifZone(readFileSync(`/usr/share/zoneinfo/${name}`));
    assert.ok(zone, name);
    const wrong: string[] = [];
    // every 5 days and 7 hours: lands on every season and hour of the day
    for (let ms = Date.UTC(1975, 0, 1); ms < Date.UTC(2090, 0, 1); ms += (5 * 24 + 7) * 3600_000) {
      const want = icuOffset(name, ms);
      const got = zone(ms / 1000).offset;
      if (got !== want) wrong.push(`${new Date(ms).toISOString()}: ${got} != ${want}`);
    }
    assert.deepEqual(wrong.slice(0, 5), [], name);
  }
});

test('TZif abbreviations and the hour around a transition', { skip: !existsSync('/usr/share/zoneinfo/Europe/Berlin') && 'no zoneinfo' }, () => {
  const berlin = tzifZone(readFileSync('/usr/share/zoneinfo/Europe/Berlin'))!;
  // 2026-03-29 01:00 UTC: clocks go from 02:00 CET to 03:00 CEST
  assert.deepEqual(berlin(Date.UTC(2026, 2, 29, 0, 59, 59) / 1000), { offset: 3600, abbr: 'CET' });
  assert.deepEqual(berlin(Date.UTC(2026, 2, 29, 1, 0, 0) / 1000), { offset: 7200, abbr: 'CEST' });
  // 2060 is past the file's transitions on a slim file and past 2037 on a fat one: the footer
  assert.deepEqual(berlin(Date.UTC(2060, 6, 1) / 1000), { offset: 7200, abbr: 'CEST' });
  assert.deepEqual(berlin(Date.UTC(2060, 0, 1) / 1000), { offset: 3600, abbr: 'CET' });
  const utc = tzifZone(readFileSync('/usr/share/zoneinfo/Etc/UTC'))!;
  assert.deepEqual(utc(0), { offset: 0, abbr: 'UTC' });
});

test('POSIX TZ strings: default US rules, southern hemisphere, <names>, J and n days', () => {
  const ny = posixZone('EST5EDT')!;
  assert.deepEqual(ny(Date.UTC(2026, 6, 1) / 1000), { offset: -4 * 3600, abbr: 'EDT' });
  assert.deepEqual(ny(Date.UTC(2026, 0, 1) / 1000), { offset: -5 * 3600, abbr: 'EST' });
  // second Sunday of March 2026 is the 8th; 2:00 EST = 07:00 UTC
  assert.equal(ny(Date.UTC(2026, 2, 8, 6, 59) / 1000).abbr, 'EST');
  assert.equal(ny(Date.UTC(2026, 2, 8, 7, 0) / 1000).abbr, 'EDT');
  const syd = posixZone('AEST-10AEDT,M10.1.0,M4.1.0/3')!;
  assert.deepEqual(syd(Date.UTC(2026, 0, 15) / 1000), { offset: 11 * 3600, abbr: 'AEDT' });
  assert.deepEqual(syd(Date.UTC(2026, 6, 15) / 1000), { offset: 10 * 3600, abbr: 'AEST' });
  assert.deepEqual(posixZone('<+0330>-3:30')!(0), { offset: 12600, abbr: '+0330' });
  assert.deepEqual(posixZone('IST-5:30')!(0), { offset: 19800, abbr: 'IST' });
  // J60 is 1 March in every year, day 59 (0-based, leap days counted) is 29 Feb in 2028
  const j = posixZone('AAA0BBB,J60/0,J300/0')!;
  assert.equal(j(Date.UTC(2028, 1, 29, 12) / 1000).abbr, 'AAA');
  assert.equal(j(Date.UTC(2028, 2, 1, 0) / 1000).abbr, 'BBB');
  const n = posixZone('AAA0BBB,59/0,300/0')!;
  assert.equal(n(Date.UTC(2028, 1, 28, 23) / 1000).abbr, 'AAA');
  assert.equal(n(Date.UTC(2028, 1, 29, 0) / 1000).abbr, 'BBB');
  for (const bad of ['', 'X5', 'EST', 'EST5EDT,M13.1.0,M11.1.0', 'EST5EDT,M3.2.0', '<EST5']) assert.equal(posixZone(bad), undefined, bad);
});

test('the local zone is looked up as Go looks it up, UTC when that fails', () => {
  const tzif = readFileSync('/usr/share/zoneinfo/Etc/UTC', { flag: 'r' });
  const reads: string[] = [];
  const read = (p: string) => {
    reads.push(p);
    if (p === '/usr/share/zoneinfo/Asia/Kolkata' || p === '/etc/localtime' || p === '/opt/z') return tzif;
    throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  };
  loadZone(undefined, read);
  loadZone(':Asia/Kolkata', read);
  loadZone('/opt/z', read);
  assert.deepEqual(reads, ['/etc/localtime', '/usr/share/zoneinfo/Asia/Kolkata', '/opt/z']);
  reads.length = 0;
  for (const tz of ['', 'UTC', ':']) assert.deepEqual(loadZone(tz, read)(0), { offset: 0, abbr: 'UTC' });
  assert.deepEqual(reads, []);
  assert.deepEqual(loadZone('No/Such', read)(1e9), { offset: 0, abbr: 'UTC' });
  assert.equal(reads.length, 4);
  assert.deepEqual(loadZone('/not-tzif', () => Buffer.from('hello'))(0), { offset: 0, abbr: 'UTC' });
});

test("goTimeString in the process's zone (TZ set for this test run)", () => {
  // run-tests does not set TZ; /etc/localtime decides, so only the shape is fixed here
  assert.match(goTimeString(1700000000), /^2023-11-\d\d \d\d:\d\d:20 [+-]\d{4} \S+$/);
  assert.equal(goTimeString('not a date'), '');
});
