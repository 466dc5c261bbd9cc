/**
 * An error caused by the user's input (a bad flag, a malformed file, a missing snapshot): the CLI prints its
 * message as one line and exits non-zero, without a stack trace unless --verbose is given.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The first line of an error's message (TF.js and Emscripten errors can span many), for one-line reports. */
export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
}
