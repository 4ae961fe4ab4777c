// Cleanups that must run however the process ends: on exit, and on SIGINT, SIGTERM or SIGHUP when nothing else
// handles the signal. rtbench's commands handle those signals themselves and stop what they started through their
// own stop(); alone (a program that only imports a module, a test file), the hook runs the cleanups and raises the
// signal again, so the process still dies of it (exit status 128 + its number: 130 for SIGINT, 143 for SIGTERM).

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const cleanups = new Set<() => void>();
let hooked = false;

/** Runs every registered cleanup once, in the order registered; each is forgotten before it runs. */
function runCleanups(): void {
  for (const cleanup of cleanups) {
    cleanups.delete(cleanup);
    cleanup();
  }
}

function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  try {
    runCleanups();
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
    process.kill(process.pid, signal);
  }
}

/**
 * Registers a synchronous `cleanup` (exit and signal handlers cannot wait) to run once when the process exits or an
 * unhandled SIGINT/SIGTERM/SIGHUP ends it; registering the same function again is a no-op. Returns a function that
 * unregisters it.
 */
export function onCleanup(cleanup: () => void): () => void {
  if (!hooked) {
    hooked = true;
    process.once('exit', runCleanups);
    for (const signal of SIGNALS) process.on(signal, onSignal);
  }
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}
