import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { HavenAPIError, IReleaseRequest } from './api';

export interface IRequestsList {
  requests: IReleaseRequest[];
  /** The list's ETag: sent back next time, an unchanged list is a 304 with no body. */
  etag: string | null;
  /** Older requests the list leaves out (the service lists the newest 200 whole). */
  leftOut: number;
}

/**
 * The analyst's requests, or null when they have not changed since the list `etag` names.
 * The server extension asks the egress service each time (it keeps no copy), but a 304
 * sends nothing to the browser, whose bytes this server meters (haven_lab.meter).
 */
export async function fetchRequests(etag: string | null): Promise<IRequestsList | null> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'haven', 'requests');
  let response: Response;
  try {
    // no-store (Lab's default): the browser keeps no copy, so a 304 reaches this code.
    response = await ServerConnection.makeRequest(url, { headers: etag ? { 'If-None-Match': etag } : {} }, settings);
  } catch (error) {
    throw new HavenAPIError(`Could not reach the notebook server: ${(error as Error).message}`, 0);
  }
  if (response.status === 304) {
    return null;
  }
  const text = await response.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok || !data || !Array.isArray(data.requests)) {
    const message = (data && (data.message || data.reason)) || `${response.status} ${response.statusText}`.trim();
    throw new HavenAPIError(message, response.status);
  }
  const leftOut = Number.isInteger(data.left_out) && data.left_out > 0 ? (data.left_out as number) : 0;
  return { requests: data.requests as IReleaseRequest[], etag: response.headers.get('ETag'), leftOut };
}
