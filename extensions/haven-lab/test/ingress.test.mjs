// The ingress link the file browser's upload button becomes (`npm run build:lib && npm test`).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ingressPageUrl } from '../lib/ingressLink.js';

test('the ingress page sits beside the hub, under its services', () => {
  assert.equal(ingressPageUrl('/hub/'), '/services/egress/ingress');
  assert.equal(ingressPageUrl('/haven/hub/'), '/haven/services/egress/ingress');
  assert.equal(ingressPageUrl('/haven/hub'), '/haven/services/egress/ingress');
});
