import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

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

export interface IDatasetColumn {
  name: string;
  type: string;
  description: string;
}

export interface IDataset {
  name: string;
  description: string;
  columns: IDatasetColumn[];
  snippet: string;
}

export interface IFinding {
  rule: string;
  /** The cell's row labels ({region: 'South', sex: 'I'}) or its index. */
  row?: Record<string, unknown> | number | string | null;
  column?: string | null;
  value?: unknown;
  message?: string;
  verdict: string;
}

export interface IPreflightResult {
  path: string;
  name: string;
  sha256: string;
  size: number;
  verdict: 'pass' | 'fail' | 'review' | null;
  findings: IFinding[] | null;
  summary: string | null;
  error?: string | null;
}

export interface IFileToRelease {
  path: string;
  description: string;
  kind: string;
  controls: string[];
}

export interface IRequestFile {
  id: string;
  /** The server extension names files by their path in the request. */
  path?: string;
  name?: string;
  state?: string;
  kind?: string;
  description?: string;
  controls?: string[];
  comments?: IComment[];
  download_url?: string | null;
}

export interface IComment {
  author?: string | null;
  body?: string | null;
  created?: string | null;
  time?: string | null;
}

export interface IReleaseRequest {
  id: string;
  title: string;
  state: string;
  created?: string;
  version?: number;
  files: IRequestFile[];
  comments: IComment[];
  /** Every change of state, oldest first; a return or rejection carries the reason. */
  history?: IHistoryEntry[];
}

export interface IHistoryEntry {
  version?: number;
  state?: string;
  action?: string;
  actor?: string | null;
  reason?: string | null;
  time?: string | null;
}

/** An error the server explained: its message is meant for the analyst. */
export class HavenAPIError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
  }
}

/** Calls the haven_lab server extension under the server's base URL. */
export async function requestAPI<T>(
  endPoint: string,
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'haven', endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new HavenAPIError(
      `Could not reach the notebook server: ${(error as Error).message}`,
      0
    );
  }
  const text = await response.text();
  let data: any = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const message =
      (data && (data.message || data.reason)) ||
      `${response.status} ${response.statusText}`.trim();
    throw new HavenAPIError(message, response.status);
  }
  return data as T;
}

export function postJSON<T>(endPoint: string, body: unknown): Promise<T> {
  return requestAPI<T>(endPoint, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' }
  });
}

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
