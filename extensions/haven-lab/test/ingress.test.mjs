// The ingress link the file browser's upload button becomes, and the Releases panel's link to
// "My requests" (`npm run build:lib && npm test`).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { egressPageUrl, ingressPageUrl } from '../lib/ingressLink.js';

test('the ingress page sits beside the hub, under its services', () => {
  assert.equal(ingressPageUrl('/hub/'), '/services/egress/ingress');
  assert.equal(ingressPageUrl('/haven/hub/'), '/haven/services/egress/ingress');
  assert.equal(ingressPageUrl('/haven/hub'), '/haven/services/egress/ingress');
});

test("the panel's link to all of one's requests is the service's My requests page", () => {
  assert.equal(egressPageUrl('/hub/', 'mine'), '/services/egress/mine');
  assert.equal(egressPageUrl('/haven/hub/', 'mine'), '/haven/services/egress/mine');
});
