/**
 * Where files come in: the egress service's ingress page, beside the hub (no imports, so
 * Node's test runner can check it).
 */
export function ingressPageUrl(hubPrefix: string): string {
  return egressPageUrl(hubPrefix, 'ingress');
}

/** A page of the egress service (`ingress`, `mine` …), beside the hub. */
export function egressPageUrl(hubPrefix: string, page: string): string {
  // The hub's prefix ends in "hub/"; its services live beside it.
  const base = hubPrefix.replace(/hub\/?$/, '');
  return `${base.endsWith('/') ? base : base + '/'}services/egress/${page}`;
}

export const INGRESS_TOOLTIP =
  'Bring a file in: files and packages come into a Haven project through an ingress request ' +
  'that a checker approves (opens in a new tab). Uploading here is closed.';
