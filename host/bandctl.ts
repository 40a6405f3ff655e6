#!/usr/bin/env node
import { main } from './cli/main.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
// A command that finished has closed its links; anything still holding the event loop (a half-closed
// serial port) must not keep a scripted rig waiting.
setTimeout(() => process.exit(), 2_000).unref();
