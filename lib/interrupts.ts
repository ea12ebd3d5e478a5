// SIGINT (Ctrl-C) and SIGTERM during `infogain score`: the first one asks the scoring loop to stop
// after the current batch, so that the whole groups scored so far are written; a second one quits
// at once (process.exit: the CLI's 'exit' hook removes the temporary output file, so the target is
// left as it was). The exit code is 128 + the signal's number: 130 for SIGINT, 143 for SIGTERM.
import { constants } from 'node:os';

export interface Interrupts {
  /** The first signal received, if any. */
  readonly signal: NodeJS.Signals | undefined;
  /** 128 + the first signal's number, or undefined. */
  exitCode(): number | undefined;
  /** Restores the default handling. */
  dispose(): void;
}

const handled: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
const exitCodeOf = (signal: NodeJS.Signals) => 128 + constants.signals[signal];

export function catchInterrupts(): Interrupts {
  let first: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (first) process.exit(exitCodeOf(signal));
    first = signal;
    const again = signal === 'SIGINT' ? 'Ctrl-C' : signal;
    process.stderr.write(`\ninterrupted (${signal}): finishing the current batch, then writing the whole groups scored so far (${again} again to quit now)\n`);
  };
  for (const s of handled) process.on(s, onSignal);
  return {
    get signal() {
      return first;
    },
    exitCode: () => (first ? exitCodeOf(first) : undefined),
    dispose: () => {
      for (const s of handled) process.off(s, onSignal);
    },
  };
}
