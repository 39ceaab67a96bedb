/** Progress lines of long test-bed operations (image build, boot), one per call. */
export type Log = (line: string) => void;

/** Progress goes to stderr so stdout stays for results such as `testbed status`. */
export const stderrLog: Log = (line) => {
  process.stderr.write(`${line}\n`);
};

export function secondsSince(startMs: number): number {
  return Math.round((Date.now() - startMs) / 100) / 10;
}
