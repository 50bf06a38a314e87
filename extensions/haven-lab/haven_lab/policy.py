"""The Content-Security-Policy of every response, and the hint every refusal carries.

The image's server config sets ``CONTENT_SECURITY_POLICY`` as a header on every response;
which routes answer at all is ``haven_lab.routes`` (an allowlist). Plain data, so tests
read the same values the server uses.
"""

from __future__ import annotations

# Every fetch the page may make goes to this server's own origin: an HTML or JavaScript
# output cannot send data to another one (no connections, images, frames, forms, fonts,
# styles, media or scripts from elsewhere). 'self' covers the same-origin WebSockets the
# kernels use (CSP level 3; Chromium and Firefox match ws:/wss: of the same host).
# Inline styles are allowed because JupyterLab sets them everywhere; a style cannot send
# anything by itself, and url() in it is held to img-src/font-src. No inline scripts, so
# <script> and on*= handlers in HTML outputs do not run. 'unsafe-eval' is needed because
# JupyterLab's settings registry compiles its JSON schemas (ajv) with new Function(); the
# one renderer that would eval output (application/javascript) is disabled in the image's
# page_config.json, and whatever script does run still cannot connect anywhere else.
CSP_DIRECTIVES: tuple[tuple[str, str], ...] = (
    ("default-src", "'self'"),
    ("script-src", "'self' 'unsafe-eval'"),
    ("style-src", "'self' 'unsafe-inline'"),
    ("connect-src", "'self'"),
    ("img-src", "'self' data: blob:"),
    ("media-src", "'self' data: blob:"),
    ("font-src", "'self'"),
    ("frame-src", "'self'"),
    ("child-src", "'self'"),
    ("worker-src", "'self' blob:"),
    ("manifest-src", "'self'"),
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
    ("frame-ancestors", "'self'"),
)
CONTENT_SECURITY_POLICY = "; ".join(f"{name} {value}" for name, value in CSP_DIRECTIVES)

RELEASE_HINT = (
    "Files do not leave a Haven project directly. Use \u201cRequest release\u2026\u201d "
    "(File menu, or right-click a file) so that output checkers can approve it."
)
