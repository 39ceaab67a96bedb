/**
 * A minimal QMP client: connect to a VM's QMP socket, leave capability negotiation, run
 * one command and return its `return` value. Asynchronous events on the way are skipped.
 */

import { createConnection } from "node:net";
import { TestbedError } from "./errors.js";

interface QmpMessage {
  QMP?: unknown;
  return?: unknown;
  error?: { class?: string; desc?: string };
  event?: string;
}

export async function qmpExecute(
  socketPath: string,
  execute: string,
  args?: Record<string, unknown>,
  timeoutMs = 10_000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let phase: "greeting" | "capabilities" | "command" | "done" = "greeting";
    let buffered = "";

    const finish = (outcome: () => void): void => {
      if (phase === "done") return;
      phase = "done";
      clearTimeout(timer);
      socket.destroy();
      outcome();
    };
    const fail = (message: string, hint: string): void => finish(() => reject(new TestbedError(message, hint)));
    const timer = setTimeout(
      () => fail(`QMP ${execute} on ${socketPath}: no answer within ${timeoutMs} ms`, "the VM may be hung; see its console file"),
      timeoutMs,
    );

    const send = (message: object): void => {
      socket.write(`${JSON.stringify(message)}\n`);
    };
    const handle = (message: QmpMessage): void => {
      if (message.event !== undefined) return;
      if (message.error !== undefined) {
        const detail = message.error.desc ?? message.error.class ?? "error";
        fail(`QMP ${phase === "command" ? execute : "qmp_capabilities"}: ${detail}`, "check the command name and its arguments against QEMU's QMP reference");
        return;
      }
      if (phase === "greeting" && message.QMP !== undefined) {
        phase = "capabilities";
        send({ execute: "qmp_capabilities" });
      } else if (phase === "capabilities" && "return" in message) {
        phase = "command";
        send(args === undefined ? { execute } : { execute, arguments: args });
      } else if (phase === "command" && "return" in message) {
        finish(() => resolve(message.return));
      }
    };

    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0 && phase !== "done") {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (!line) continue;
        let message: QmpMessage;
        try {
          message = JSON.parse(line) as QmpMessage;
        } catch {
          fail(`QMP ${execute} on ${socketPath}: not JSON: ${line.slice(0, 80)}`, "is this socket really a QEMU QMP socket?");
          return;
        }
        handle(message);
      }
    });
    socket.on("error", (error: Error) =>
      fail(`QMP ${execute} on ${socketPath}: ${error.message}`, "is the VM running? see `gfsdeploy testbed status`"),
    );
    socket.on("close", () => {
      // `quit` may close the socket before its reply arrives: the closing is the answer.
      if (phase === "command" && execute === "quit") finish(() => resolve(undefined));
      else fail(`QMP ${execute} on ${socketPath}: connection closed before the reply`, "see the VM's console file for why QEMU went away");
    });
  });
}
