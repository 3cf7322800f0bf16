-- KnownRows reads a chunk of up to 100,000 rows as one GROUP_CONCAT value (≤ 5 MB).
SET SESSION group_concat_max_len = 67108864
