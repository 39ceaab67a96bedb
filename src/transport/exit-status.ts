/**
 * Exit statuses shared by every transport, chosen to read the way a shell reports them, so a
 * status means the same whether the command ran over SSH, locally, or in a test.
 */

import { constants } from "node:os";

/** As timeout(1) reports it: the command ran longer than ExecOptions.timeoutMs allowed. */
export const TIMED_OUT_EXIT_CODE = 124;

/** As a shell reports it: there is no such command. */
export const NOT_FOUND_EXIT_CODE = 127;

/** As a shell reports it: the command exists but cannot be executed. */
export const NOT_EXECUTABLE_EXIT_CODE = 126;

/** As a shell reports a command killed by `signal` (e.g. "KILL" or "SIGKILL"): 128 + its number. */
export function exitCodeForSignal(signal: string): number {
  const name = (signal.startsWith("SIG") ? signal : `SIG${signal}`) as keyof typeof constants.signals;
  return 128 + (constants.signals[name] ?? 0);
}
