/**
 * The body of a benchmark worker process: runs `job` on the JSON of argv[2], prints its result as one JSON line and
 * exits 0, or prints `error: ...` and exits 1.
 */
export function runAsWorker<J, R>(job: (input: J) => Promise<R>): void {
  job(JSON.parse(process.argv[2]!) as J).then(
    (result) => {
      process.stdout.write(JSON.stringify(result) + '\n');
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
