AND {window_column} BETWEEN %(window_start)s AND %(window_end)s
