UPDATE oauth_tokens
SET refresh_token = %s, access_token = NULL, access_expires_at = NULL, invalid_at = NULL,
    rotated_at = UTC_TIMESTAMP(6)
WHERE provider = %s AND account_key = %s
