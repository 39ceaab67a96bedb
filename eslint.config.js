import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** The pure stages may not do I/O: these modules only enter at the edges (cli, transport, run, testbed). */
const ioModules = ["node:fs", "node:fs/promises", "fs", "node-ssh", "execa", "listr2", "commander", "node:child_process"];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "test/fixtures/**", "templates/**", "bin/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["src/spec/**", "src/plan/**", "src/steps/**", "src/render/**"],
    ignores: ["src/spec/load.ts"],
    rules: { "no-restricted-imports": ["error", { paths: ioModules.map((name) => ({ name, message: "pure stage: do I/O in cli/, transport/ or run/" })) }] },
  },
  { files: ["**/*.js"], ...tseslint.configs.disableTypeChecked },
);
