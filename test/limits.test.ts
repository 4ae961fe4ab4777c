// What the machine allows a run (open files, ephemeral ports) is checked before anything starts; a server at its
// connection limit refuses new connections with a counted reason and goes on; a child process that fails says so
// in one sentence, never with a stack trace on the terminal.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { parseOpenFilesLimit, parsePortRange, connectionsPerProcess, FD_RESERVE, type MachineLimits } from '../lib/limits.ts';
import { limitProblems, checkMachineLimits, connectionsAtOnce } from '../driver/preflight.ts';
import { DEFAULT_FANOUT, type ScenarioOptions } from '../lib/options.ts';
import { UsageError } from '../lib/errors.ts';
import { startServer } from '../servers/server.ts';
import { failureFromStderr, oneSentence, CHILD_FAILURE_PREFIX } from '../lib/child-failure.ts';
import { childFailure, exitAccount, forkModule } from '../lib/children.ts';
import { until as untilWithin } from './helpers/raw.ts';

/** Waits for `check()`, at most `ms` (this file's default deadline). */
const until = (check: () => boolean, what: string, ms = 10000): Promise<void> => untilWithin(check, what, ms);

const LIMITS_TEXT = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`;

const fanout = (clients: number): ScenarioOptions => ({ ...DEFAULT_FANOUT, clients });

describe('machine limits', { timeout: 60_000 }, () => {
  it('reads the open-file limit and the ephemeral port range', () => {
    assert.deepEqual(parseOpenFilesLimit(LIMITS_TEXT), { soft: 1024, hard: 524288 });
    assert.deepEqual(parseOpenFilesLimit('Max open files            unlimited            unlimited            files\n'), { soft: Number.MAX_SAFE_INTEGER, hard: Number.MAX_SAFE_INTEGER });
    assert.equal(parseOpenFilesLimit('nothing here'), undefined);
    assert.deepEqual(parsePortRange('32768\t60999\n'), { low: 32768, high: 60999 });
    assert.equal(parsePortRange('60999 32768'), undefined);
    assert.equal(connectionsPerProcess({ openFiles: { soft: 1024, hard: 1024 } }), 1024 - FD_RESERVE);
    assert.equal(connectionsPerProcess({}), Infinity);
    assert.equal(connectionsPerProcess({ openFiles: { soft: 64, hard: 64 } }), 32);
  });

  it('counts the connections a run holds at once, per scenario kind', () => {
    assert.deepEqual(connectionsAtOnce(fanout(250)), { count: 250, what: 'clients' });
    assert.equal(connectionsAtOnce({ ...fanout(1), kind: 'idle', scenario: 'idle', sweep: [0, 500, 3000, 1000] } as ScenarioOptions).count, 3000);
    assert.equal(connectionsAtOnce({ ...fanout(1), kind: 'poll-ceiling', scenario: 'poll-ceiling', connections: 700 } as ScenarioOptions).count, 700);
  });

  it('says what fits and how to get more, before anything starts', () => {
    const raisable: MachineLimits = { openFiles: { soft: 1024, hard: 4096 }, ephemeralPorts: { low: 32768, high: 60999 } };
    assert.deepEqual(limitProblems(fanout(924), raisable), []);
    assert.deepEqual(limitProblems(fanout(925), raisable), [
      '925 clients need as many open files in the one server process of each transport, and a process may open 1,024 here (ulimit -n; 100 kept for the process itself): at most 924 fit. Run fewer, or raise the limit before running (ulimit -n 1025; the hard limit is 4,096)',
    ]);
    const fixed: MachineLimits = { openFiles: { soft: 20000, hard: 20000 }, ephemeralPorts: { low: 32768, high: 60999 } };
    assert.deepEqual(limitProblems(fanout(19_900), fixed), []);
    const [files, ports] = limitProblems(fanout(30_000), fixed);
    assert.equal(files, '30,000 clients need as many open files in the one server process of each transport, and a process may open 20,000 here (ulimit -n; 100 kept for the process itself): at most 19,900 fit. Run fewer, or spread the load over servers on several machines (the hard limit is also 20,000, so it cannot be raised here)');
    assert.equal(ports, '30,000 clients on one machine need as many local ports to reach the one server address, and this machine hands out 28,232 (net.ipv4.ip_local_port_range 32768–60999): at most 28,232 fit. Run fewer, or widen the range (sysctl -w net.ipv4.ip_local_port_range="1024 65535")');
    assert.throws(() => checkMachineLimits(fanout(30_000), fixed), (err: unknown) => err instanceof UsageError && err.message.startsWith('this machine cannot run it: 30,000 clients need'));
    // Unknown limits (not Linux) are not checked.
    assert.deepEqual(limitProblems(fanout(100_000), {}), []);
  });
});

describe('a server at its connection limit', { timeout: 60_000 }, () => {
  it('closes the connection past it at once, counts it, and serves the others', async () => {
    const server = await startServer({ transport: 'ws', maxConnections: 3 });
    const sockets: Socket[] = [];
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const s = connect(server.port, '127.0.0.1', () => resolve(s)).once('error', reject);
        s.on('error', () => undefined);
        sockets.push(s);
      });
    try {
      for (let i = 0; i < 3; i++) await open();
      await until(() => server.stats.snapshot().connectionsOpen === 3, 'three connections accepted');
      const fourth = await open();
      const closed = new Promise<void>((resolve) => fourth.once('close', () => resolve()));
      fourth.resume();
      await closed;
      await until(() => server.stats.connectionsRefused === 1, 'the refusal counted');
      assert.equal(server.stats.snapshot().connectionsRefused, 1);
      assert.equal(server.stats.snapshot().connectionsOpen, 3);
      // Once one closes, the next connection is served.
      (sockets[0] as Socket).destroy();
      await until(() => server.stats.snapshot().connectionsOpen === 2, 'one connection closed');
      const body = await new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, path: '/healthz', agent: false }, (res) => {
          let b = '';
          res.setEncoding('utf8').on('data', (d: string) => (b += d)).on('end', () => resolve(`${res.statusCode} ${b}`));
        });
        req.setTimeout(5000, () => req.destroy(new Error('no answer from /healthz within 5 s')));
        req.once('error', reject).end();
      });
      assert.equal(body, '200 ok');
      assert.equal(server.stats.snapshot().connectionsRefused, 1);
    } finally {
      for (const s of sockets) s.destroy();
      await server.close();
    }
  });
});

describe('a failing child process', { timeout: 60_000 }, () => {
  const runFixture = (mode: string): Promise<{ code: number | null; account: string; failure: string | undefined }> =>
    new Promise((resolve, reject) => {
      const child = forkModule(new URL('./fixtures/crashing-child.ts', import.meta.url), [mode]);
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('the fixture did not exit within 20 s'));
      }, 20_000);
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, account: exitAccount(child, code, signal), failure: childFailure(child) });
      });
    });

  it('with the handler: one line, exit code 1, told as one sentence', async () => {
    const r = await runFixture('one-line');
    assert.equal(r.code, 1);
    assert.equal(r.failure, 'fixture process: EMFILE: too many open files, uv_resident_set_memory');
    assert.equal(r.account, ' (code 1): fixture process: EMFILE: too many open files, uv_resident_set_memory');
  });

  it("without it: Node's stack trace stays with the parent, which keeps only the error's line", async () => {
    const r = await runFixture('raw');
    assert.equal(r.code, 1);
    assert.equal(r.failure, 'Error: EMFILE: too many open files, uv_resident_set_memory');
  });

  it('one sentence from whatever a child wrote', () => {
    const trace = [
      'file:///x/servers/stats.ts:1',
      'var __defProp=Object.defineProperty;var __name=(target,value)=>__defProp(target,"name",{value,configurable:true});',
      '',
      'Error: EMFILE: too many open files, uv_resident_set_memory',
      '    at Timeout._onTimeout (/x/servers/stats.ts:76:39)',
      '    at listOnTimeout (node:internal/timers:581:17) {',
      "  errno: -24,",
      "  code: 'EMFILE',",
      '}',
      '',
      'Node.js v20.20.2',
    ].join('\n');
    assert.equal(failureFromStderr(trace), 'Error: EMFILE: too many open files, uv_resident_set_memory');
    assert.equal(failureFromStderr(`noise\n${CHILD_FAILURE_PREFIX}ws server: EPIPE: broken pipe, write\nmore noise\n`), 'ws server: EPIPE: broken pipe, write');
    assert.equal(failureFromStderr('just a line\n'), 'just a line');
    assert.equal(failureFromStderr(''), undefined);
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    assert.equal(oneSentence(epipe), 'write EPIPE');
    assert.equal(oneSentence(Object.assign(new Error('broken pipe'), { code: 'EPIPE' })), 'EPIPE: broken pipe');
    assert.equal(oneSentence('two\nlines'), 'two');
  });
});
