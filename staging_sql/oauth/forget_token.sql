DELETE FROM oauth_tokens WHERE provider = %s AND account_key = %s
