// After `vite build`: writes a Brotli (.br) and a gzip (.gz) copy beside every text file of
// dist/, at the highest levels, so the api serves them compressed without compressing on
// each request (it embeds all three and picks by Accept-Encoding). Prints what the first
// page downloads: index.html and the script and stylesheet it names.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const TEXT = /\.(html|js|css|svg|json|txt|map)$/;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

const sizes = new Map();
for (const path of files(dist)) {
  if (!TEXT.test(path)) continue;
  const raw = readFileSync(path);
  const br = brotliCompressSync(raw, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
  });
  const gz = gzipSync(raw, { level: 9 });
  // A compressed copy no smaller than the file is not worth its header.
  if (br.length < raw.length) writeFileSync(`${path}.br`, br);
  if (gz.length < raw.length) writeFileSync(`${path}.gz`, gz);
  sizes.set(relative(dist, path), { raw: raw.length, br: Math.min(br.length, raw.length), gz: Math.min(gz.length, raw.length) });
}

const index = readFileSync(join(dist, 'index.html'), 'utf8');
const named = [...index.matchAll(/(?:src|href)="\/([^"]+\.(?:js|css))"/g)].map((m) => m[1]);
const first = ['index.html', ...named].map((name) => ({ name, ...sizes.get(name) }));
const sum = (key) => first.reduce((total, f) => total + (f[key] ?? 0), 0);
for (const f of first) console.log(`  ${f.name}: ${f.raw} B, ${f.br} B brotli, ${f.gz} B gzip`);
console.log(`first load: ${sum('raw')} B raw, ${sum('br')} B brotli, ${sum('gz')} B gzip`);
if (/<script(?![^>]*\bsrc=)[^>]*>/.test(index)) {
  console.error('index.html has an inline script: the Content-Security-Policy would refuse it');
  process.exit(1);
}
