import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { usage } from './main.js';

test('usage lists the subcommands', () => {
  const text = usage();
  for (const name of ['up', 'server', 'agent', 'dns', 'proxy', 'version']) assert.match(text, new RegExp(`\\n  ${name} `));
});

test('bin/skiff --help and version work from the compiled build', () => {
  const help = execFileSync('bin/skiff', ['--help'], { encoding: 'utf8' });
  assert.match(help, /Usage: skiff <command>/);
  const version = execFileSync('bin/skiff', ['version'], { encoding: 'utf8' });
  assert.match(version, /^skiff v\d+\.\d+\.\d+/);
});

test('an unknown command fails with a clear message', () => {
  const r = spawnSync('bin/skiff', ['frobnicate'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
});
