#!/usr/bin/env -S node --no-memory-reducer
// Entry point for the `ordergate` command. Runs the compiled CLI when built (dist/), else the
// TypeScript source through tsx (development checkouts).
//
// --no-memory-reducer: V8's memory reducer runs major collections to shrink the heap whenever
// allocation slows down, which for a gateway means quiet markets. Their pauses (6-9 ms, with
// helper threads on every core) set the slowest 0.1 % of deliveries at 5,000 msg/s (README,
// "No V8 memory reducer"). The flag has to be on node's command line (V8 reads it when the heap
// is set up), so the Docker image and the bench pass it too. `env -S` needs GNU coreutils 8.30+,
// macOS or FreeBSD; elsewhere (BusyBox) run `node --no-memory-reducer bin/ordergate.js`.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli.js');
if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli.ts')).href);
}
