AND {span_start} <= %(window_end)s AND {span_end} >= %(window_start)s
