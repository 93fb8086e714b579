// Cross-check of `safetynb tag` by code that shares nothing with the toolkit: hyparquet (the JavaScript Parquet
// reader behind Hugging Face's dataset viewer) reads every input and output file, and the plain-Python reference
// tagger (bench/reference/tag_reference.py) tags the input texts. The output must hold the same rows, every column but
// text and tag_count unchanged, and the reference's texts and tag counts.
//
//   node check_tagged.mjs INPUT_DIR OUTPUT_DIR [--rate 0.05] [--seed 42] [--min-score 1]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'

const [input, output, ...rest] = process.argv.slice(2)
const option = (name, fallback) => (rest.includes(name) ? rest[rest.indexOf(name) + 1] : fallback)
const rate = option('--rate', '0.05'), seed = option('--seed', '42'), minScore = option('--min-score', '1')
const reference = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'reference', 'tag_reference.py')

const parquetFiles = dir => readdirSync(dir).flatMap(name => {
  const path = join(dir, name)
  return statSync(path).isDirectory() ? parquetFiles(path) : name.endsWith('.parquet') ? [path] : []
}).sort()

async function read(path) {
  const file = await asyncBufferFromFile(path)
  const metadata = await parquetMetadataAsync(file)
  const rows = await parquetReadObjects({ file, metadata, compressors })
  const codecs = new Set(metadata.row_groups.flatMap(g => g.columns.map(c => c.meta_data.codec)))
  // how the text column is laid out: page types and encodings (from encoding_stats when the writer records them)
  const text = metadata.row_groups.flatMap(g => g.columns.filter(c => c.meta_data.path_in_schema.join('.') === 'text'))
  const pages = new Set(text.flatMap(c => (c.meta_data.encoding_stats ?? []).map(s => `${s.page_type}:${s.encoding}`)))
  const layout = pages.size ? [...pages].join(' ') : [...new Set(text.flatMap(c => c.meta_data.encodings))].join(' ')
  return { rows, codecs: [...codecs].join('/'), layout, groups: metadata.row_groups.length }
}

// values compared as JSON: BigInt as text, dates as ISO strings
const json = value => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v))

let failures = 0, files = 0, rows = 0, tags = 0
const fail = message => { failures++; if (failures <= 20) console.error(`MISMATCH ${message}`) }
const work = mkdtempSync(join(tmpdir(), 'snb-crosscheck-'))
try {
  for (const inPath of parquetFiles(input)) {
    const outPath = join(output, relative(input, inPath))
    const [before, after] = [await read(inPath), await read(outPath)]
    const failuresBefore = failures
    files++
    if (before.rows.length !== after.rows.length) { fail(`${outPath}: ${after.rows.length} rows, input has ${before.rows.length}`); continue }

    // the reference tagger on the same documents (present texts only; a missing text stays missing)
    const docs = before.rows.filter(r => r.text != null)
    writeFileSync(join(work, 'in.jsonl'), docs.map(r => json({ id: r.id, text: r.text, safety_score: r.safety_score })).join('\n') + '\n')
    execFileSync('python3', [reference, '--input', join(work, 'in.jsonl'), '--output', join(work, 'out.jsonl'),
      '--rate', rate, '--seed', seed, '--min-score', minScore])
    const expected = new Map(readFileSync(join(work, 'out.jsonl'), 'utf8').trim().split('\n').map(line => JSON.parse(line)).map(r => [r.id, r]))

    before.rows.forEach((b, i) => {
      const a = after.rows[i]
      rows++
      for (const column of new Set([...Object.keys(b), ...Object.keys(a)])) {
        if (column === 'text' || column === 'tag_count') continue
        if (json(a[column]) !== json(b[column])) fail(`${outPath} row ${i} column ${column}: ${json(a[column])} != ${json(b[column])}`)
      }
      const want = b.text == null ? { text: null, tag_count: 0 } : expected.get(b.id)
      if (a.text !== want.text) fail(`${outPath} row ${i} (${b.id}): text differs from the reference's`)
      if (Number(a.tag_count ?? 0) !== want.tag_count) fail(`${outPath} row ${i} (${b.id}): tag_count ${a.tag_count}, reference ${want.tag_count}`)
      tags += want.tag_count
    })
    console.log(`${failures === failuresBefore ? 'ok' : 'FAILED'} ${relative(output, outPath)}: ${after.rows.length} rows, codec ${after.codecs}; input: ${before.groups} row groups, ${before.codecs}, text pages ${before.layout}`)
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
console.log(`hyparquet + tag_reference.py: ${files} files, ${rows} rows, ${tags} tags, ${failures} mismatches`)
process.exit(failures === 0 && files > 0 ? 0 : 1)
