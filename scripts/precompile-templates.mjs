#!/usr/bin/env node
// Part of `npm run build`: writes dist/render/templates.compiled.js from site/*.njk
// (see src/render/precompile.ts). Run after tsc, which produces the module it imports.
import { writeFileSync } from 'node:fs';
import { precompiledModule } from '../dist/render/precompile.js';
import { templateSources } from '../dist/render/site-files.js';

writeFileSync(new URL('../dist/render/templates.compiled.js', import.meta.url), precompiledModule(templateSources()));
