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

/**
 * What goes wrong when a project loads TF.js twice (an `npm install ../path` of a linked folder keeps the package's own
 * node_modules): objects of one copy are not instances of the other's classes.
 */
export function secondTfjsCopy(what: string): string {
  return (
    `${what} comes from another copy of @tensorflow/tfjs-layers than the one snapshot-ensembles uses: the project loads TF.js twice ` +
    '(an npm install of a linked folder keeps its own node_modules); install snapshot-ensembles from a packed tarball (npm pack), or let both resolve one @tensorflow/tfjs-layers'
  );
}

/** The first line of an error's message (TF.js and Emscripten errors can span many), for one-line reports. */
export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
}
