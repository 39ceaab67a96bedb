import { type BatchCommand, batchArgv } from "./batch.js";
import { quoteCommand } from "./quote.js";
import type { ExecOptions, ExecResult, HeldCommand, HoldOptions, Transport, WriteOptions } from "./types.js";

/** A read and how long it ran on the node. */
export interface ReadTime {
  read: string;
  ms: number;
}

/** How many of a node's slowest reads a run reports. */
const SLOWEST = 5;

/** A read as one short line: some are whole Python programs. */
const shortened = (command: string): string => {
  const line = command.split("\n")[0] as string;
  return line.length > 80 || line !== command ? `${line.slice(0, 79)}…` : line;
};

/**
 * A transport that counts its remote executions (a batch, a command, a file read or write
 * each count one) and keeps the slowest reads its batches timed: the cost a run reports per
 * node, and where it went.
 */
export class CountingTransport implements Transport {
  execs = 0;
  slowest: ReadTime[] = [];

  constructor(private readonly inner: Transport) {}

  get host(): string {
    return this.inner.host;
  }

  async batch(commands: readonly BatchCommand[], stdin?: Buffer): Promise<ExecResult[]> {
    if (commands.length > 0) this.execs++;
    const results = await this.inner.batch(commands, stdin);
    const timed = results.flatMap((r, i) => (r.ms === undefined ? [] : [{ read: shortened(quoteCommand(batchArgv(commands[i] as BatchCommand))), ms: r.ms }]));
    this.slowest = [...this.slowest, ...timed].sort((a, b) => b.ms - a.ms).slice(0, SLOWEST);
    return results;
  }

  exec(command: string, args?: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.execs++;
    return this.inner.exec(command, args, options);
  }

  readFile(path: string): Promise<Buffer | undefined> {
    this.execs++;
    return this.inner.readFile(path);
  }

  writeFile(path: string, body: string | Buffer, options?: WriteOptions): Promise<void> {
    this.execs++;
    return this.inner.writeFile(path, body, options);
  }

  hold(command: string, args: readonly string[], options: HoldOptions): Promise<HeldCommand> {
    this.execs++;
    return this.inner.hold(command, args, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
