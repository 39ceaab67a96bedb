/**
 * A real OpenSSH server for the transport's integration tests: its own host key, client key,
 * config and log in a temporary directory, listening on 127.0.0.1 only, on a free port.
 */

import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";

const SSHD = "/usr/sbin/sshd";
const STARTUP_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 25;

export interface TestSshd {
  port: number;
  /** Scratch directory, removed by stop(). */
  dir: string;
  /** The client key sshd lets log in as root. */
  identityFile: string;
  /** known_hosts line recording the server's host key under `[127.0.0.1]:port`. */
  knownHostsLine: string;
  /** How many logins sshd has accepted so far: one per TCP connection. */
  acceptedLogins(): Promise<number>;
  stop(): Promise<void>;
}

/** Makes an unencrypted ed25519 key pair at `path` and `path`.pub. */
export async function keygen(path: string): Promise<void> {
  await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", path]);
}

/** A port on 127.0.0.1 that nothing listens on (at the moment of asking). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no TCP port from the OS");
  return address.port;
}

/** @param extraConfig sshd_config lines added to the test's own. */
export async function startSshd(extraConfig: readonly string[] = []): Promise<TestSshd> {
  if (!existsSync(SSHD)) {
    throw new Error(`${SSHD} is missing: these tests need a real OpenSSH server (apt-get install openssh-server)`);
  }
  if (process.getuid?.() !== 0) throw new Error("these tests start sshd and log in as root, so they must run as root");
  // sshd refuses to start without its privilege-separation directory.
  await mkdir("/run/sshd", { recursive: true });

  const dir = await mkdtemp(join(tmpdir(), "gfsdeploy-sshd-"));
  const hostKey = join(dir, "host_ed25519");
  const identityFile = join(dir, "client");
  const logFile = join(dir, "sshd.log");
  const config = join(dir, "sshd_config");
  await Promise.all([keygen(hostKey), keygen(identityFile)]);
  await writeFile(join(dir, "authorized_keys"), await readFile(`${identityFile}.pub`));
  await writeFile(
    config,
    [
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PermitRootLogin prohibit-password",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      // bash run by sshd sources root's ~/.bashrc unless SHLVL says it is nested; on a
      // developer machine that file (pyenv and the like) can cost 250 ms per command.
      "SetEnv SHLVL=1",
      // VERBOSE logs one "Accepted publickey" line per login, which the tests count.
      "LogLevel VERBOSE",
      ...extraConfig,
      "",
    ].join("\n"),
  );

  const port = await freePort();
  const sshd = execa(SSHD, ["-D", "-f", config, "-p", String(port), "-E", logFile], { reject: false });
  try {
    await waitForListener(port, sshd);
  } catch (error) {
    sshd.kill();
    await sshd;
    const log = await readFile(logFile, "utf8").catch(() => "(no log)");
    throw new Error(`${(error as Error).message}\nsshd log:\n${log}`);
  }

  const [keyType, keyBase64] = (await readFile(`${hostKey}.pub`, "utf8")).trim().split(/\s+/);
  return {
    port,
    dir,
    identityFile,
    knownHostsLine: `[127.0.0.1]:${port} ${keyType} ${keyBase64}`,
    async acceptedLogins() {
      const log = await readFile(logFile, "utf8");
      return log.split("\n").filter((line) => line.includes("Accepted publickey")).length;
    },
    async stop() {
      sshd.kill();
      await sshd;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `port` accepts connections; fails early when sshd exits instead. */
async function waitForListener(port: number, sshd: ResultPromise): Promise<void> {
  let exited = false;
  void sshd.finally(() => {
    exited = true;
  });
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!(await accepts(port))) {
    if (exited) throw new Error(`sshd exited before listening on 127.0.0.1:${port}`);
    if (Date.now() > deadline) throw new Error(`sshd did not listen on 127.0.0.1:${port} within ${STARTUP_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
