UPDATE oauth_tokens
SET invalid_at = UTC_TIMESTAMP(6), access_token = NULL, access_expires_at = NULL
WHERE provider = %s AND account_key = %s AND refresh_token = %s
