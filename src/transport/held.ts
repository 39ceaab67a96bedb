/**
 * What every transport's hold() shares: watching the output for readiness, the time limit,
 * and release(). A transport only starts the command, feeds its output in, and says how to
 * close its stdin and when it has ended.
 */

import { StringDecoder } from "node:string_decoder";
import { TIMED_OUT_EXIT_CODE } from "./exit-status.js";
import type { HeldCommand, HoldOptions } from "./types.js";

/** Where a transport delivers the started command's output, chunk by chunk. */
export interface OutputSink {
  stdout: (chunk: Buffer) => void;
  stderr: (chunk: Buffer) => void;
}

/** A command running with its stdin left open. */
export interface RunningCommand {
  endStdin(): void;
  /** Its exit status once it has ended; rejects with the transport's error when the host was lost instead. */
  exited: Promise<number>;
}

type Ending = { code: number } | { lost: Error };

/**
 * Starts a command through `start` and resolves as HoldOptions and HeldCommand describe.
 * `name` (the command's argv[0]) is for the time-out message.
 */
export function holdCommand(
  name: string,
  options: HoldOptions,
  start: (output: OutputSink) => RunningCommand,
): Promise<HeldCommand> {
  return new Promise<HeldCommand>((resolve, reject) => {
    // Decoders keep a character split across two chunks intact.
    const stdoutDecoder = new StringDecoder("utf8");
    const stderrDecoder = new StringDecoder("utf8");
    let stdout = "";
    let stderr = "";
    let settled = false;
    let timer: NodeJS.Timeout | undefined;

    const settle = (result: HeldCommand | { lost: Error }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if ("lost" in result) reject(result.lost);
      else resolve(result);
    };
    const notReady = (code: number, note = ""): HeldCommand => ({
      ready: false,
      code,
      output: `${stdout}${stderr}${note}`,
      release: () => Promise.resolve(),
    });

    const command = start({
      stdout: (chunk) => {
        stdout += stdoutDecoder.write(chunk);
        // search() ignores a global or sticky pattern's lastIndex, which test() would not.
        if (stdout.search(options.readyPattern) >= 0) settle({ ready: true, output: stdout, release });
      },
      stderr: (chunk) => {
        stderr += stderrDecoder.write(chunk);
      },
    });
    const ended: Promise<Ending> = command.exited.then(
      (code) => ({ code }),
      (lost: unknown) => ({ lost: lost as Error }),
    );
    async function release(): Promise<void> {
      command.endStdin();
      // A lost host has ended the command along with the connection: released all the same.
      await ended;
    }

    void ended.then((ending) => {
      stdout += stdoutDecoder.end();
      stderr += stderrDecoder.end();
      settle("lost" in ending ? ending : notReady(ending.code));
    });
    if (options.timeoutMs !== undefined) {
      const { timeoutMs } = options;
      timer = setTimeout(() => {
        // All a transport can do to a remote command is close its stdin; a command made for
        // hold() ends on that, and nothing waits here for one that does not.
        command.endStdin();
        settle(notReady(TIMED_OUT_EXIT_CODE, `${name}: timed out after ${timeoutMs} ms waiting for ${String(options.readyPattern)}\n`));
      }, timeoutMs);
    }
  });
}
