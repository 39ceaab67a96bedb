import { execa, ExecaError } from "execa";
import type { Options } from "execa";
import { tail } from "../errors.js";
import { TestbedError } from "./errors.js";

/** Long argument lists (mmdebstrap's) would drown the message; the start names the command well enough. */
const MAX_COMMAND_TEXT = 160;

function commandText(file: string, args: readonly string[]): string {
  const text = [file, ...args].join(" ");
  return text.length > MAX_COMMAND_TEXT ? `${text.slice(0, MAX_COMMAND_TEXT)} …` : text;
}

/**
 * Runs a local command that must succeed and returns its stdout. A failure becomes a
 * TestbedError carrying the stderr tail and the caller's hint.
 */
export async function runLocal(
  file: string,
  args: readonly string[],
  hint: string,
  options: Options = {},
): Promise<string> {
  try {
    const result = await execa(file, args, options);
    return typeof result.stdout === "string" ? result.stdout : "";
  } catch (error) {
    if (!(error instanceof ExecaError)) throw error;
    const stderr = typeof error.stderr === "string" ? tail(error.stderr) : "";
    throw new TestbedError(
      `\`${commandText(file, args)}\` failed: ${error.shortMessage}${stderr ? `\n${stderr}` : ""}`,
      hint,
    );
  }
}
