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
