/**
 * Splices docs/yaml-reference.md into README.md between the yaml-reference markers (headings demoted one level).
 * `--check` exits 1 when README.md is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const readmePath = path.join(root, 'README.md');
const BEGIN = /<!-- BEGIN yaml-reference[^>]*-->/;
const END = '<!-- END yaml-reference -->';

function render(): string {
  const readme = readFileSync(readmePath, 'utf8');
  const begin = BEGIN.exec(readme);
  const end = readme.indexOf(END);
  if (!begin || end < 0) {
    throw new Error('README.md: yaml-reference markers not found');
  }
  const ref = readFileSync(path.join(root, 'docs/yaml-reference.md'), 'utf8')
    .replace(/^# .*\n+/, '')
    .replace(/^(#+) /gm, (_m, h: string) => `${h}# `)
    .trim();
  return `${readme.slice(0, begin.index + begin[0].length)}\n\n${ref}\n\n${readme.slice(end)}`;
}

const next = render();
if (process.argv.includes('--check')) {
  if (next !== readFileSync(readmePath, 'utf8')) {
    console.error('README.md is stale: run `npm run docs`');
    process.exit(1);
  }
  console.log('README.md is up to date');
} else {
  writeFileSync(readmePath, next);
}
