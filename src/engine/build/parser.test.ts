import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isEngineError } from '../../core/errors.js';
import { IgnoreMatcher, readDockerignore } from '../../core/dockerignore.js';
import { envMap, processWord, processWords } from './expand.js';
import { parseDockerfile, stagesFor } from './parser.js';

const parse = (s: string) => parseDockerfile(s);
const fails = (s: string, re: RegExp) => assert.throws(() => parse(s), (e: unknown) => {
  assert.ok(isEngineError(e, 'InvalidArgument'), String(e));
  assert.match((e as Error).message, re);
  return true;
});

test('parses stages, names, platform and meta ARGs', () => {
  const df = parse('ARG BASE=busybox\nFROM --platform=linux/amd64 ${BASE} AS Build\nRUN true\nfrom scratch\nCOPY --from=build /x /y\n');
  assert.equal(df.metaArgs.length, 1);
  assert.deepEqual(df.metaArgs[0]!.args, [{ name: 'BASE', value: 'busybox' }]);
  assert.equal(df.stages.length, 2);
  assert.equal(df.stages[0]!.name, 'build');
  assert.equal(df.stages[0]!.from.platform, 'linux/amd64');
  assert.equal(df.stages[0]!.from.image, '${BASE}');
  assert.equal(df.stages[1]!.from.image, 'scratch');
  const c = df.stages[1]!.commands[0]!;
  assert.equal(c.kind, 'copy');
  assert.deepEqual(c.kind === 'copy' && [c.from, c.srcs, c.dest], ['build', ['/x'], '/y']);
  assert.equal(stagesFor(df, 'build').length, 1);
  assert.throws(() => stagesFor(df, 'nope'), /failed to reach build target nope/);
});

test('line continuations, comments inside them, empty lines and the escape directive', () => {
  let df = parse('FROM busybox\n# a comment\nRUN echo a \\\n  # inner comment\n\n  && echo b\nCMD ["sh"]\n');
  const run = df.stages[0]!.commands[0]!;
  assert.equal(run.kind === 'run' && run.shell, 'echo a   && echo b');
  assert.equal(run.line, 3);
  assert.equal(df.stages[0]!.commands[1]!.line, 7);
  df = parse('# escape=`\nFROM busybox\nRUN echo a `\n  b\nCOPY C:\\x /y\n');
  assert.equal(df.escape, '`');
  const r = df.stages[0]!.commands[0]!;
  assert.equal(r.kind === 'run' && r.shell, 'echo a   b');
  const cp = df.stages[0]!.commands[1]!;
  assert.deepEqual(cp.kind === 'copy' && cp.srcs, ['C:\\x']);
});

test('RUN, CMD, ENTRYPOINT in exec and shell form; bad JSON is shell form', () => {
  const df = parse('FROM a\nRUN ["echo", "hi"]\nCMD echo $HOME\nENTRYPOINT [ "/bin/sh", "-c" ]\nCMD [echo hi\nRUN --network=none true\n');
  const [r, c, e, c2, r2] = df.stages[0]!.commands;
  assert.deepEqual(r!.kind === 'run' && r!.exec, ['echo', 'hi']);
  assert.equal(c!.kind === 'cmd' && c!.shell, 'echo $HOME');
  assert.deepEqual(e!.kind === 'entrypoint' && e!.exec, ['/bin/sh', '-c']);
  assert.equal(c2!.kind === 'cmd' && c2!.shell, '[echo hi');
  assert.equal(r2!.kind === 'run' && r2!.network, 'none');
});

test('COPY and ADD flags, several sources, JSON form', () => {
  const df = parse('FROM a\nCOPY --chown=1:2 --chmod=644 a b* c/ /dst/\nADD ["x y", "/z"]\nCOPY --link a b\n');
  const [c, a, l] = df.stages[0]!.commands;
  assert.deepEqual(c!.kind === 'copy' && [c!.chown, c!.chmod, c!.srcs, c!.dest], ['1:2', '644', ['a', 'b*', 'c/'], '/dst/']);
  assert.deepEqual(a!.kind === 'add' && [a!.srcs, a!.dest], [['x y'], '/z']);
  assert.equal(l!.kind, 'copy');
  fails('FROM a\nCOPY onlyone\n', /^Dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided\. Destination could not be determined\.$/);
  fails('FROM a\nCOPY --bogus=1 a b\n', /line 2: Unknown flag: bogus/);
});

test('ENV and LABEL: name=value pairs, quotes, legacy form', () => {
  const df = parse('FROM a\nENV A=1 B="two words" C=x\\ y\nENV LEGACY some value here\nLABEL "com.x"="y z" k=v\n');
  const [e1, e2, l] = df.stages[0]!.commands;
  assert.deepEqual(e1!.kind === 'env' && e1!.pairs, [['A', '1'], ['B', '"two words"'], ['C', 'x\\ y']]);
  assert.deepEqual(e2!.kind === 'env' && e2!.pairs, [['LEGACY', 'some value here']]);
  assert.deepEqual(l!.kind === 'label' && l!.pairs, [['"com.x"', '"y z"'], ['k', 'v']]);
  fails('FROM a\nENV ONLY\n', /line 2: ENV must have two arguments/);
  fails('FROM a\nENV A=1 B\n', /line 2: Syntax error - can't find = in "B"/);
  fails('FROM a\nENV =x\n', /ENV names can not be blank/);
});

test('other instructions', () => {
  const df = parse([
    'FROM a', 'ARG X', 'ARG Y=1 Z', 'WORKDIR /app', 'USER nobody:nogroup', 'EXPOSE 80 443/udp', 'VOLUME ["/data", "/logs"]',
    'VOLUME /a /b', 'STOPSIGNAL SIGKILL', 'SHELL ["/bin/bash", "-c"]', 'ONBUILD RUN echo hi', 'MAINTAINER Me <me@x>',
    'HEALTHCHECK --interval=5s --timeout=1m30s --retries=3 CMD curl -f http://x/', 'HEALTHCHECK NONE',
  ].join('\n'));
  const cs = df.stages[0]!.commands;
  assert.deepEqual(cs.map((c) => c.kind), ['arg', 'arg', 'workdir', 'user', 'expose', 'volume', 'volume', 'stopsignal', 'shell',
    'onbuild', 'maintainer', 'healthcheck', 'healthcheck']);
  const [, a2, , , ex, v1, v2, , sh, ob, , h1, h2] = cs;
  assert.deepEqual(a2!.kind === 'arg' && a2!.args, [{ name: 'Y', value: '1' }, { name: 'Z' }]);
  assert.deepEqual(ex!.kind === 'expose' && ex!.raw, ['80', '443/udp']);
  assert.deepEqual(v1!.kind === 'volume' && [v1!.raw, v1!.json], [['/data', '/logs'], true]);
  assert.deepEqual(v2!.kind === 'volume' && v2!.raw, ['/a', '/b']);
  assert.deepEqual(sh!.kind === 'shell' && sh!.shell, ['/bin/bash', '-c']);
  assert.equal(ob!.kind === 'onbuild' && ob!.expression, 'RUN echo hi');
  assert.ok(h1!.kind === 'healthcheck');
  assert.deepEqual(h1!.kind === 'healthcheck' && [h1!.test, h1!.interval, h1!.timeout, h1!.retries],
    [['CMD-SHELL', 'curl -f http://x/'], 5e9, 90e9, 3]);
  assert.deepEqual(h2!.kind === 'healthcheck' && h2!.test, ['NONE']);
});

test('errors carry the line number and docker wording', () => {
  fails('FROM busybox\nRUN true\nFOOBAR baz\n', /^Dockerfile parse error on line 3: unknown instruction: FOOBAR$/);
  fails('FROM a b\n', /^Dockerfile parse error on line 1: FROM requires either one or three arguments$/);
  fails('\n\nFROM a AS\n', /line 3: FROM requires either one or three arguments/);
  fails('FROM a AS 1x\n', /invalid name for build stage/);
  fails('RUN true\n', /line 1: no build stage in current context/);
  fails('', /cannot be empty/);
  fails('FROM a\nSHELL /bin/sh\n', /line 2: SHELL requires the arguments to be in JSON form/);
  fails('FROM a\nHEALTHCHECK FOO x\n', /line 2: Unknown type "FOO" in HEALTHCHECK \(try CMD\)/);
  fails('FROM a\nHEALTHCHECK --interval=xs CMD x\n', /invalid duration/);
  fails('FROM a\nONBUILD ONBUILD RUN x\n', /Chaining ONBUILD/);
  fails('FROM a\nONBUILD FROM x\n', /FROM isn't allowed as an ONBUILD trigger/);
  fails('FROM a\nWORKDIR\n', /line 2: WORKDIR requires exactly one argument/);
  fails('FROM a AS x\nFROM b AS x\n', /line 2: duplicate name x/);
  fails('# escape=x\nFROM a\n', /invalid escape token/);
});

test('variable substitution as docker does it', () => {
  const env = envMap(['A=1', 'E=', 'SP=a b']);
  const w = (s: string) => processWord(s, env);
  assert.equal(w('$A'), '1');
  assert.equal(w('${A}x'), '1x');
  assert.equal(w('${NOPE:-def}'), 'def');
  assert.equal(w('${E:-def}'), 'def');
  assert.equal(w('${E-def}'), '');
  assert.equal(w('${A:+alt}'), 'alt');
  assert.equal(w('${NOPE:+alt}'), '');
  assert.equal(w("'$A'"), '$A');
  assert.equal(w('"$A $NOPE"'), '1 ');
  assert.equal(w('\\$A'), '$A');
  assert.equal(w('${A:-${NOPE:-z}}'), '1');
  assert.equal(w('${NOPE:-${A}}'), '1');
  assert.equal(w('a\\ b'), 'a b');
  assert.throws(() => w('${NOPE:?is required}'), /NOPE: is required/);
  assert.throws(() => w('${A'), /missing '}'/);
  assert.deepEqual(processWords('$SP "c d" e', env), ['a', 'b', 'c d', 'e']);
});

test('dockerignore patterns', () => {
  const m = new IgnoreMatcher(readDockerignore('# c\nnode_modules\n*.log\n!keep.log\n/tmp/**\n**/*.bak\ndir/*/x\n'));
  assert.ok(m.ignores('node_modules'));
  assert.ok(m.ignores('node_modules/a/b'));
  assert.ok(m.ignores('a.log'));
  assert.ok(!m.ignores('keep.log'));
  assert.ok(!m.ignores('sub/a.log'));
  assert.ok(m.ignores('tmp/a/b'));
  assert.ok(m.ignores('deep/er/f.bak'));
  assert.ok(m.ignores('dir/y/x'));
  assert.ok(!m.ignores('dir/y/z'));
  assert.ok(!m.ignores('src/main.ts'));
});
