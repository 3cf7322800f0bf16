SELECT refresh_token, access_token, access_expires_at, refresh_expires_at, invalid_at
FROM oauth_tokens
WHERE provider = %s AND account_key = %s
