"""Haven's login: the built-in accounts (password + TOTP) and the OIDC switch."""
