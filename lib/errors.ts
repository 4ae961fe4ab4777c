/** Error codes that cli.ts maps to exit codes. */
export type ErrorCode = 'EUSAGE' | 'ESCENARIO' | 'ESERVER' | 'EINTERRUPTED' | 'EIO' | 'EREGRESSION';

/** A failure the user can fix (bad flag, bad file): printed as one sentence, no stack trace. */
export class RtbenchError extends Error {
  /** Stable code for programmatic handling. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'RtbenchError';
    this.code = code;
  }
}

/** Invalid input (CLI flag, option, scenario field): exit code 2. */
export class UsageError extends RtbenchError {
  constructor(message: string) {
    super('EUSAGE', message);
    this.name = 'UsageError';
  }
}

/** The gate found a regression (its report is already printed): exit code 99. */
export class RegressionFound extends RtbenchError {
  constructor(message = 'the gate found a regression') {
    super('EREGRESSION', message);
    this.name = 'RegressionFound';
  }
}

/** The run was interrupted (Ctrl-C) after what was measured had been written: exit code 130. */
export class Interrupted extends RtbenchError {
  constructor(message: string) {
    super('EINTERRUPTED', message);
    this.name = 'Interrupted';
  }
}

/** Exit codes of the rtbench CLI. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** The gate found a regression (as k6 uses 99 for failed thresholds). */
  regression: 99,
  interrupted: 130,
} as const;
