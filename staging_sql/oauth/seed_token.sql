INSERT IGNORE INTO oauth_tokens (provider, account_key, refresh_token)
VALUES (%s, %s, %s)
