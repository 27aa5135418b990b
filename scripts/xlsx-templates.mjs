#!/usr/bin/env node
// Part of `npm run build`, after tsc: has exceljs write the fixed parts of an export
// workbook (styles, theme, workbook, properties, the sheet's frame) once per language and
// stores them in dist/vendor/xlsx-templates.json. A cron run then writes its export
// workbooks from them (src/io/xlsx-sheet.ts) without loading exceljs' writer (40–50 ms
// here) or running it for each file. Stored templates older than the modules that make them
// are not used: exceljs makes them again at run time.
import { mkdirSync, writeFileSync } from 'node:fs';

const dist = new URL('../dist/', import.meta.url);
const { templatesFile } = await import(new URL('io/xlsx-export.js', dist).href);
mkdirSync(new URL('vendor/', dist), { recursive: true });
writeFileSync(new URL('vendor/xlsx-templates.json', dist), await templatesFile());
