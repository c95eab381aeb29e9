/**
 * Runs the real `ordergate` command (or any other) as a child process, for tests of exit codes,
 * help, output and signal handling.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const bin = fileURLToPath(new URL('../../bin/ordergate.js', import.meta.url));

export interface Child {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  /** Resolves when stdout or stderr has printed text matching `re`. */
  waitForOutput(re: RegExp, limitMs?: number): Promise<RegExpMatchArray>;
}

const running = new Set<ChildProcess>();

/** Kills every child a test started that is still running (for afterEach: no leftovers). */
export function killAll(): void {
  for (const proc of running) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  running.clear();
}

/** Runs the `ordergate` command with `args`, and `env` on top of this process's environment. */
export function run(args: string[], env: Record<string, string> = {}): Child {
  return start(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
}

/** Runs any command (stdin closed, stdout and stderr collected); killAll() ends it too. */
export function start(cmd: string, args: string[], options: SpawnOptions = {}): Child {
  const proc = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d) => {
    out += d;
  });
  proc.stderr?.on('data', (d) => {
    err += d;
  });
  running.add(proc);
  const exited = once(proc, 'exit').then(([code]) => {
    running.delete(proc);
    return code as number | null;
  });
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitForOutput(re, limitMs = 15_000) {
      const deadline = Date.now() + limitMs;
      for (;;) {
        const m = (out + err).match(re);
        if (m) return m;
        if (Date.now() > deadline || proc.exitCode !== null) {
          throw new Error(`no output matching ${re}; stdout: ${out}\nstderr: ${err}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
