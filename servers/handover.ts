// The stream a server hands over when it is restarted (the faults scenario): on SIGTERM it writes its retained events
// and newest seq to its state file; the process started after it on the same port reads them back, so the numbered
// stream goes on with no gap and subscribers resume with their cursor. A real deployment keeps this log outside the
// process (Redis streams, Kafka); a file between two processes on one host plays that part here.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Hub, HubState } from './hub.ts';

/** Writes `hub`'s stream to `file` (through a temporary file, so a reader never sees half of it). */
export function saveState(file: string, hub: Hub): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(hub.state()));
  renameSync(tmp, file);
}

/** Continues the stream saved in `file`, when there is one, in `hub`, and removes the file; returns the events restored. */
export function loadState(file: string, hub: Hub): number {
  if (!existsSync(file)) return 0;
  const state = JSON.parse(readFileSync(file, 'utf8')) as HubState;
  hub.restore(state);
  rmSync(file, { force: true });
  return state.events.length;
}
