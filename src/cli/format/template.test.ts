import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render, compile } from './exec.js';
import { formatList, formatInspect } from './formatter.js';

const c = {
  Id: 'abc',
  Name: '/web',
  State: { Running: true, Pid: 42 },
  Config: { Labels: { k: 'v', 'com.x': 'y' }, Cmd: ['sh', '-c', 'x'] },
  Args: ['a', 'b'],
  Mounts: [{ Source: '/s1' }, { Source: '/s2' }],
  Empty: [],
};

test('fields, nested fields, missing keys', () => {
  assert.equal(render('{{.Id}}', c), 'abc');
  assert.equal(render('{{.State.Pid}}', c), '42');
  assert.equal(render('{{.Nope}}', c), '<no value>');
  assert.equal(render('{{.Nope.Deeper}}', c), '<no value>');
  assert.equal(render('{{.}}', 'x'), 'x');
  assert.equal(render('{{.Args}}', c), '[a b]');
  assert.equal(render('{{.Config.Labels}}', c), 'map[com.x:y k:v]');
});

test('json', () => {
  assert.equal(render('{{json .Config}}', c), JSON.stringify(c.Config));
  assert.equal(render('{{json .}}', { a: 1 }), '{"a":1}');
  assert.equal(render('{{json .Missing}}', {}), 'null');
});

test('text around actions and repository:tag', () => {
  assert.equal(render('{{.Repository}}:{{.Tag}}', { Repository: 'busybox', Tag: 'latest' }), 'busybox:latest');
});

test('range, if/else, else if, with', () => {
  assert.equal(render('{{range .Mounts}}{{.Source}} {{end}}', c), '/s1 /s2 ');
  assert.equal(render('{{range .Empty}}x{{else}}none{{end}}', c), 'none');
  assert.equal(render('{{range $i, $m := .Mounts}}{{$i}}={{$m.Source}};{{end}}', c), '0=/s1;1=/s2;');
  assert.equal(render('{{if .State.Running}}up{{else}}down{{end}}', c), 'up');
  assert.equal(render('{{if .Empty}}a{{else if .State.Running}}b{{else}}c{{end}}', c), 'b');
  assert.equal(render('{{with .State}}{{.Pid}}{{end}}', c), '42');
  assert.equal(render('{{range $k, $v := .Config.Labels}}{{$k}}={{$v}},{{end}}', c), 'com.x=y,k=v,');
});

test('functions and pipelines', () => {
  assert.equal(render('{{index .Config.Labels "com.x"}}', c), 'y');
  assert.equal(render('{{index .Config.Labels "nope"}}', c), '<no value>');
  assert.equal(render('{{index .Args 1}}', c), 'b');
  assert.equal(render('{{lower "ABC"}}{{upper "d"}}', c), 'abcD');
  assert.equal(render('{{.Name | upper}}', c), '/WEB');
  assert.equal(render('{{join .Args ","}}', c), 'a,b');
  assert.equal(render('{{println .Id}}', c), 'abc\n');
  assert.equal(render('{{printf "%s-%d|%5s|%-4s|" .Id .State.Pid "r" "l"}}', c), 'abc-42|    r|l   |');
  assert.equal(render('{{printf "%q" .Id}}', c), '"abc"');
  assert.equal(render('{{len .Args}}', c), '2');
  assert.equal(render('{{if eq .Id "abc"}}yes{{end}}', c), 'yes');
  assert.equal(render('{{if and .State.Running (not .Empty)}}ok{{end}}', c), 'ok');
  assert.equal(render('{{(index .Mounts 1).Source}}', c), '/s2');
  assert.equal(render('{{.Name | printf "%s!"}}', c), '/web!');
  assert.equal(render('{{truncate .Id 2}}|{{title "hello world"}}|{{split "a:b" ":"}}', c), 'ab|Hello World|[a b]');
  assert.equal(render('{{$x := .Id}}{{$x}}', c), 'abc');
});

test('whitespace trimming', () => {
  assert.equal(render('a  {{- .Id -}}  b', c), 'aabcb');
  assert.equal(render('{{range .Args -}}\n  {{.}}\n{{- end}}', c), 'ab');
  assert.equal(render('x {{- /* comment */ -}} y', c), 'xy');
});

test('errors', () => {
  assert.throws(() => compile('{{.Id'), /unclosed action/);
  assert.throws(() => compile('{{if .X}}'), /unexpected EOF/);
  assert.throws(() => render('{{nosuch .X}}', {}), /function "nosuch" not defined/);
});

test('table format: header names, alignment, escapes', () => {
  const rows = [{ ID: '0123456789ab', Image: 'busybox', Names: 'web' }, { ID: 'ffffffffffff', Image: 'debian:bookworm', Names: 'db' }];
  const out = formatList(rows, { format: 'table {{.ID}}\\t{{.Image}}\\t{{.Names}}', table: '', headers: { ID: 'CONTAINER ID' } });
  assert.equal(out, [
    'CONTAINER ID   IMAGE             NAMES',
    '0123456789ab   busybox           web',
    'ffffffffffff   debian:bookworm   db',
    '',
  ].join('\n'));
  assert.equal(formatList(rows, { format: '{{.Names}}', table: '' }), 'web\ndb\n');
  assert.equal(formatList(rows, { table: 'table {{.ID}}', isQuiet: true, quiet: '{{.ID}}' }), '0123456789ab\nffffffffffff\n');
  assert.equal(formatList([{ a: 1 }], { format: 'json', table: '' }), '{"a":1}\n');
  assert.equal(formatList([], { table: 'table {{.CreatedSince}}\t{{.Size}}' }), 'CREATED   SIZE\n');
});

test('inspect format: indented JSON or one template per item', () => {
  assert.equal(formatInspect([{ a: 1 }]), '[\n    {\n        "a": 1\n    }\n]\n');
  assert.equal(formatInspect([{ a: 1 }, { a: 2 }], '{{.a}}'), '1\n2\n');
});
