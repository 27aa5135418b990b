/**
 * Writes src/core/country-names.ts: the German and English name of every ISO 3166-1 alpha-2
 * code, from this Node's ICU. Run by hand when the names should follow a newer ICU (then
 * `npx biome format --write src/core/country-names.ts`): a run that made Intl.DisplayNames
 * would load ICU's region data each time.
 */
import { writeFileSync } from 'node:fs';

const de = new Intl.DisplayNames(['de'], { type: 'region', fallback: 'none' });
const en = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const lines = [];
for (const a of letters) {
  for (const b of letters) {
    const code = a + b;
    const name = en.of(code);
    // ICU also names macro-regions and private-use codes (EU, QO, XA…): the database has none of them but XK.
    if (name === undefined || /^(EU|EZ|UN|Q[M-Z]|X[A-JL-Z]|ZZ)$/.test(code)) continue;
    lines.push(`  ${code}: [${JSON.stringify(de.of(code))}, ${JSON.stringify(name)}],`);
  }
}
const text = `/**
 * Country names in German and English by ISO 3166-1 alpha-2 code, made by
 * scripts/country-names.mjs from ICU ${process.versions.icu} (CLDR ${process.versions.cldr}).
 * A static table: Intl.DisplayNames would load ICU's region data on every run.
 */
export const COUNTRY_NAMES: Readonly<Record<string, readonly [de: string, en: string]>> = {
${lines.join('\n')}
};
`;
writeFileSync(new URL('../src/core/country-names.ts', import.meta.url), text);
console.log(`${lines.length} countries`);
