-- KnownRows reads a chunk of up to 200,000 rows as one GROUP_CONCAT value (≤ 10 MB).
SET SESSION group_concat_max_len = 67108864
