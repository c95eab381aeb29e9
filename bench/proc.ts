/**
 * Child processes of the bench and what we read about them from /proc: every child is tracked
 * and killed when the harness ends (normally, by a signal or by its own hard timeout), and each
 * starts with its open-file soft limit raised to the hard limit, since 10,000 sockets need
 * 10,000 descriptors in the gateway and in the client workers together.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const children = new Set<ChildProcess>();
/** Extra pids to kill at exit (a process started behind a guard shell). */
const pids = new Set<number>();

export function track(child: ChildProcess, pid?: number): void {
  children.add(child);
  if (pid) pids.add(pid);
  child.once('exit', () => {
    children.delete(child);
    if (pid) pids.delete(pid);
  });
}

/** SIGKILLs every child still running (synchronous, so it also works in an 'exit' handler). */
export function killAll(): void {
  for (const pid of pids) signal(pid, 'SIGKILL');
  for (const c of children) if (c.exitCode === null && c.pid) signal(c.pid, 'SIGKILL');
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** True while the process runs (a zombie, exited but not yet reaped by its parent, is not). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Raises the soft open-file limit to the hard one, then runs "$0" "$@" in place of the shell. */
export const RAISE_FD_LIMIT = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';

/**
 * child_process.fork through /bin/sh so the raised limit applies; `exec` keeps the pid, the
 * environment and the IPC descriptor, so the child is an ordinary forked node process.
 */
export function forkRaised(modulePath: string, nodeFlags: string[] = []): ChildProcess {
  const child = fork(modulePath, [], {
    execPath: '/bin/sh',
    execArgv: ['-c', RAISE_FD_LIMIT, process.execPath, ...process.execArgv, ...nodeFlags],
    stdio: ['ignore', 2, 'pipe', 'ipc'],
  });
  track(child);
  child.stderr?.on('data', (d: Buffer) => forwardStderr(d, ''));
  return child;
}

/** The inspector's own chatter, which the idle-RSS scenario's forced GCs cause. */
const INSPECTOR_CHATTER = /^(Debugger (listening|attached|ending)|For help, see|To detach)/;

/** Copies a child's stderr to ours, prefixed, without the inspector's chatter. */
export function forwardStderr(chunk: Buffer, prefix: string): void {
  const lines = chunk
    .toString()
    .split('\n')
    .filter((l) => l !== '' && !INSPECTOR_CHATTER.test(l));
  for (const l of lines) process.stderr.write(`${prefix}${l}\n`);
}

/** The VmRSS line of /proc/<pid>/status, in bytes (0 when the process is gone). */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** User plus system CPU seconds of a process, from /proc/<pid>/stat (clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * Machine-wide CPU seconds from /proc/stat: busy (all but idle and iowait), of which softirq
 * (loopback TCP work that the kernel doesn't charge to any process), and steal.
 */
export function machineCpuSeconds(): { busy: number; softirq: number; steal: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    const t = (x: number | undefined) => (x ?? 0) / 100;
    return {
      busy: t(user) + t(nice) + t(system) + t(irq) + t(softirq),
      softirq: t(softirq),
      steal: t(steal),
    };
  } catch {
    return { busy: 0, softirq: 0, steal: 0 };
  }
}

/** The soft and hard "Max open files" of this process. */
export function fdLimits(): { soft: number; hard: number } {
  const text = readFileSync('/proc/self/limits', 'utf8');
  const m = /Max open files\s+(\S+)\s+(\S+)/.exec(text);
  const n = (s: string | undefined) => (s === 'unlimited' || s === undefined ? 1e9 : Number(s));
  return { soft: n(m?.[1]), hard: n(m?.[2]) };
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it; we close and hand it on). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}
