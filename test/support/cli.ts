import { main, type Io } from "../../src/cli/main.js";

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in-process as `gfsdeploy ARGS…`, capturing what it prints. */
export async function runCli(...args: string[]): Promise<CliRun> {
  let out = "";
  let err = "";
  const io: Io = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  };
  // commander reads argv like process.argv: the node binary and the script come first.
  const code = await main(["node", "gfsdeploy", ...args], io);
  return { code, out, err };
}
