// Rewrites a toolkit Parquet file the way other writers lay files out, so that `safetynb tag`'s byte-level path is
// checked on files Parquet.Net did not write: hyparquet-writer writes data pages v2, several pages per column chunk,
// statistics, offset and column indexes, bloom filters, forced dictionary encoding, nulls.
//
//   node write_inputs.mjs TOOLKIT_FILE OUTPUT_DIR
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { parquetWriteFile } from 'hyparquet-writer'

const [source, outDir] = process.argv.slice(2)
const rows = await parquetReadObjects({ file: await asyncBufferFromFile(source), compressors })

// a flat layout with a few typed columns; every 37th text is null
const columns = textEncoding => [
  { name: 'id', data: rows.map(r => r.id), type: 'STRING', nullable: false, bloomFilter: true },
  { name: 'text', data: rows.map((r, i) => (i % 37 === 5 ? null : r.text)), type: 'STRING', encoding: textEncoding, columnIndex: true },
  { name: 'url', data: rows.map(r => r.metadata?.url ?? null), type: 'STRING' },
  { name: 'token_count', data: rows.map(r => (r.metadata?.token_count == null ? null : BigInt(r.metadata.token_count))), type: 'INT64' },
  { name: 'language_score', data: rows.map(r => r.metadata?.language_score ?? null), type: 'DOUBLE' },
  { name: 'safety_score', data: rows.map(r => r.safety_score), type: 'INT32', nullable: false },
]

const variants = {
  'v2-snappy': { codec: 'SNAPPY', pageSize: 16384 },
  'v2-uncompressed': { codec: 'UNCOMPRESSED', pageSize: 65536 },
  'v2-dictionary-snappy': { codec: 'SNAPPY', pageSize: 32768, textEncoding: 'RLE_DICTIONARY' },
}
for (const [name, { codec, pageSize, textEncoding }] of Object.entries(variants)) {
  mkdirSync(join(outDir, name), { recursive: true })
  await parquetWriteFile({
    filename: join(outDir, name, '00000.parquet'),
    columnData: columns(textEncoding),
    codec,
    pageSize,
    rowGroupSize: 700,
    kvMetadata: [{ key: 'writer', value: 'hyparquet-writer (SafetyNotebooks cross-check)' }],
  })
}
console.log(`wrote ${Object.keys(variants).length} variants of ${rows.length} rows to ${outDir}`)
