#!/usr/bin/env node
// Set-up (npm postinstall, "npm run setup"): see src/setup/main.ts. Runs the TypeScript through tsx.
import { register } from 'tsx/esm/api';
import { resolve } from 'node:path';

register();
const { setup } = await import('../src/setup/main.ts');
process.exitCode = await setup(resolve(import.meta.dirname, '..'), process.env);
