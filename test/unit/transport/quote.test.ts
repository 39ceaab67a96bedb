import { existsSync } from "node:fs";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { InternalError } from "../../../src/errors.js";
import { quoteArg, quoteCommand } from "../../../src/transport/quote.js";

const NASTY = [
  "",
  " ",
  "two words",
  "it's",
  "'",
  "''",
  '"',
  `"double" and 'single'`,
  "back\\slash",
  "\\'",
  "$HOME",
  "${HOME}",
  "$(echo INJECTED)",
  "`echo INJECTED`",
  "; echo INJECTED",
  "&& echo INJECTED",
  "| cat",
  "> /dev/null",
  "line one\nline two",
  "trailing newline\n",
  "\ttab",
  "*",
  "?",
  "[a-z]",
  "~",
  "~root",
  "#not a comment",
  "!",
  "-n",
  "--",
  "a=b",
  "{a,b}",
  "é ü 日本語",
];

const shells = ["sh", ...(existsSync("/bin/bash") ? ["bash"] : [])];

describe("quoteArg", () => {
  it("leaves plain words readable", () => {
    for (const word of ["drbdadm", "create-md", "r0", "/dev/vg0/lv_data", "--force", "interval=30s", "user@host:22", "a,b", "50%", "1.2.3+4"]) {
      expect(quoteArg(word)).toBe(word);
    }
  });

  it("single-quotes everything else, splicing embedded quotes", () => {
    expect(quoteArg("")).toBe("''");
    expect(quoteArg("two words")).toBe("'two words'");
    expect(quoteArg("$HOME")).toBe("'$HOME'");
    expect(quoteArg("it's")).toBe("'it'\\''s'");
  });

  it("refuses a NUL byte, which no argv can carry", () => {
    expect(() => quoteArg("a\0b")).toThrow(InternalError);
  });
});

describe("quoteCommand", () => {
  it("joins quoted words with single spaces", () => {
    expect(quoteCommand(["pcs", "resource", "create", "fs", "Filesystem", "device=/dev/drbd0", "options=noatime,nodiratime"])).toBe(
      "pcs resource create fs Filesystem device=/dev/drbd0 options=noatime,nodiratime",
    );
    expect(quoteCommand(["echo", "a b", ""])).toBe("echo 'a b' ''");
  });

  it("quotes a first word the shell would read as syntax", () => {
    // GIVEN words that are commands only when quoted: an assignment and a bash keyword
    expect(quoteCommand(["A=b", "c"])).toBe("'A=b' c");
    expect(quoteCommand(["time", "sync"])).toBe("'time' sync");
    // THEN later positions stay as they are
    expect(quoteCommand(["echo", "A=b", "time"])).toBe("echo A=b time");
  });

  it.each(shells)("round-trips every argument through %s -c", async (shell) => {
    // GIVEN a command line that prints each of its arguments followed by a NUL byte
    const line = quoteCommand(["printf", "%s\\000", ...NASTY]);
    // WHEN a real shell splits it again
    const { stdout } = await execa(shell, ["-c", line], { env: { HOME: "/home/expanded" } });
    // THEN every argument arrives exactly as given, none expanded or split
    expect(stdout.split("\0").slice(0, -1)).toEqual(NASTY);
  });
});
