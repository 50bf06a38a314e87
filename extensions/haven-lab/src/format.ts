/**
 * Pure helpers for what the analyst reads: no JupyterLab imports, so they are unit-tested
 * with Node's own test runner (test/format.test.mjs).
 */
import type { IFinding, IRequestFile } from './api';

/** The kinds of output the egress service knows, with the words analysts see. */
export const FILE_KINDS: ReadonlyArray<[string, string]> = [
  ['frequency_table', 'Frequency table'],
  ['magnitude_table', 'Magnitude table'],
  ['model', 'Model output'],
  ['figure', 'Figure'],
  ['notebook', 'Notebook'],
  ['code', 'Code'],
  ['text', 'Text'],
  ['other', 'Other']
];

/** A first guess at a file's kind from its name; the analyst can change it. */
export function guessKind(path: string): string {
  const ext = path.toLowerCase().split('.').pop() ?? '';
  if (['csv', 'tsv', 'xlsx', 'parquet'].includes(ext)) {
    return 'frequency_table';
  }
  if (['png', 'jpg', 'jpeg', 'svg', 'pdf'].includes(ext)) {
    return 'figure';
  }
  if (ext === 'ipynb') {
    return 'notebook';
  }
  if (['py', 'r', 'sql', 'sh', 'jl'].includes(ext)) {
    return 'code';
  }
  if (['txt', 'md', 'html'].includes(ext)) {
    return 'text';
  }
  return 'other';
}

/** Disclosure controls as the service takes them: one per line or separated by semicolons. */
export function splitControls(text: string): string[] {
  return text
    .split(/[;\n]/)
    .map(c => c.trim())
    .filter(c => c.length > 0);
}

/** Where a finding is (the cell's row labels and column) and what it says. */
export function describeFinding(finding: IFinding): string {
  const where: string[] = [];
  const row = finding.row;
  if (row !== null && typeof row === 'object') {
    where.push(Object.entries(row).map(([name, value]) => `${name} ${value}`).join(', '));
  } else if (row !== undefined && row !== null) {
    where.push(`row ${row}`);
  }
  if (finding.column) {
    const value = finding.value !== undefined && finding.value !== null ? ` = ${finding.value}` : '';
    where.push(`${finding.column}${value}`);
  }
  // A cell's own place says more than the file-level message repeated for each cell.
  if (where.length > 0) {
    return `${where.join('; ')} (${finding.rule.replace(/_/g, ' ')})`;
  }
  return finding.message || `${finding.rule}: ${finding.verdict}`;
}

export function fileName(file: IRequestFile): string {
  return file.name ?? file.path ?? file.id;
}

/**
 * A random (version 4) UUID naming one analyst action. The server extension sends it to the
 * egress service as Idempotency-Key, so a submission it sends again after a lost answer is
 * filed once; the same key is kept while the analyst retries the same action.
 */
export function newActionKey(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-');
}
