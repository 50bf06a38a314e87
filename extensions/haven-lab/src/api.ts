import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

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
  purpose?: string;
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

/** The header naming one analyst action (see newActionKey). */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

export function postJSON<T>(endPoint: string, body: unknown, actionKey?: string): Promise<T> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (actionKey) {
    headers[IDEMPOTENCY_HEADER] = actionKey;
  }
  return requestAPI<T>(endPoint, { method: 'POST', body: JSON.stringify(body), headers });
}

export { FILE_KINDS, describeFinding, fileName, guessKind, newActionKey, splitControls } from './format';
