#!/usr/bin/env node
// Runs the compiled CLI; `npm run build` (or `npm install`, via prepare) makes dist/.
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv);
