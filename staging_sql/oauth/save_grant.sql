-- rotated_at first: later assignments in one UPDATE see the new refresh_token.
UPDATE oauth_tokens
SET rotated_at = IF(refresh_token <=> %s, rotated_at, UTC_TIMESTAMP(6)),
    refresh_token = %s,
    access_token = %s,
    access_expires_at = %s,
    refresh_expires_at = %s,
    invalid_at = NULL
WHERE provider = %s AND account_key = %s
