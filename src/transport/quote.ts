/**
 * POSIX shell quoting. SSH hands the remote side one command line that a shell splits again,
 * so every argument must survive that shell unchanged: plain words stay readable, anything
 * else goes inside single quotes, where the shell interprets nothing.
 */

import { InternalError } from "../errors.js";

/** Characters no POSIX shell treats specially anywhere in a word. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Words the shell reads as syntax when they stand first on a line: `time` in bash, for one,
 * would run the keyword instead of /usr/bin/time.
 */
const RESERVED_WORDS = new Set([
  "case", "coproc", "do", "done", "elif", "else", "esac", "fi", "for", "function", "if", "in",
  "select", "then", "time", "until", "while",
]);

/** One argument, quoted so a POSIX shell reads it back as exactly this string. */
export function quoteArg(arg: string): string {
  if (arg.includes("\0")) {
    throw new InternalError(
      `argument ${JSON.stringify(arg)} contains a NUL byte, which no command line can carry`,
      "pass binary data on stdin instead",
    );
  }
  return PLAIN_WORD.test(arg) ? arg : singleQuote(arg);
}

/** A whole argv as one shell line that runs argv[0] with exactly the remaining arguments. */
export function quoteCommand(argv: readonly string[]): string {
  return argv
    .map((arg, index) => (index === 0 ? quoteCommandWord(arg) : quoteArg(arg)))
    .join(" ");
}

function quoteCommandWord(word: string): string {
  const quoted = quoteArg(word);
  // In first position `NAME=value` is a variable assignment, not a command.
  const readAsSyntax = RESERVED_WORDS.has(word) || word.includes("=");
  return readAsSyntax && quoted === word ? singleQuote(word) : quoted;
}

function singleQuote(text: string): string {
  // Inside single quotes nothing is special except the closing quote itself, so each
  // embedded quote closes the string, adds an escaped quote and reopens it.
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
