import { GfsError } from "../errors.js";

/** The local QEMU test bed could not be built, started, stopped or reached. */
export class TestbedError extends GfsError {
  readonly exitCode = 1;
}

/** `testbed ssh` behaves like ssh: a remote command's non-zero exit code becomes ours. */
export class RemoteExitStatus extends GfsError {
  constructor(
    readonly node: string,
    readonly exitCode: number,
  ) {
    super(`${node}: the remote command exited ${exitCode}`, "its own output is above");
  }
}
