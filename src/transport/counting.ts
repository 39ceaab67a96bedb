import type { BatchCommand } from "./batch.js";
import type { ExecOptions, ExecResult, HeldCommand, HoldOptions, Transport, WriteOptions } from "./types.js";

/**
 * A transport that counts its remote executions (a batch, a command, a file read or write
 * each count one): the cost a run reports per node.
 */
export class CountingTransport implements Transport {
  execs = 0;

  constructor(private readonly inner: Transport) {}

  get host(): string {
    return this.inner.host;
  }

  batch(commands: readonly BatchCommand[], stdin?: Buffer): Promise<ExecResult[]> {
    if (commands.length > 0) this.execs++;
    return this.inner.batch(commands, stdin);
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
