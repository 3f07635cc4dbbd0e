// Runs `skiff <args>` from source (tests spawn it with `node --import tsx run-cli.ts ...`).
import { main } from '../../../src/cmd/main.js';

process.exitCode = await main(process.argv.slice(2));
