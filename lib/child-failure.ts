// A child process of rtbench never prints a stack trace to the user's terminal: its stderr goes to the parent
// (lib/children.ts), and an error nothing caught becomes one line there, which the parent turns into the sentence
// of the failure it reports.

/** The prefix of the one line a child writes when an error nothing caught ends it. */
export const CHILD_FAILURE_PREFIX = 'rtbench-child-failure: ';

/** One sentence for `err`: its message (with its code when the message lacks it), on one line. */
export function oneSentence(err: unknown): string {
  if (!(err instanceof Error)) return String(err).split('\n')[0] ?? '';
  const code = (err as NodeJS.ErrnoException).code;
  const message = err.message.split('\n')[0] ?? '';
  return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
}

/**
 * Makes this process end on an uncaught error or rejection with one line on stderr (exit code 1) instead of a
 * stack trace. `what` names the process in that line, e.g. "ws server".
 */
export function failWithOneLine(what: string): void {
  const fail = (err: unknown): void => {
    process.stderr.write(`${CHILD_FAILURE_PREFIX}${what}: ${oneSentence(err)}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
}

/**
 * The reason a child failed, from the tail of its stderr: its own failure line, else the first line that reads
 * like a Node error ("Error: EMFILE: too many open files, ..."), else its last line; undefined when it said nothing.
 */
export function failureFromStderr(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const own = [...lines].reverse().find((l) => l.startsWith(CHILD_FAILURE_PREFIX));
  if (own !== undefined) return own.slice(CHILD_FAILURE_PREFIX.length);
  const error = lines.find((l) => /^(?:[A-Z]\w*)?Error(?: \[\w+\])?: ./.test(l));
  const line = error ?? lines[lines.length - 1];
  return line === undefined ? undefined : line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
