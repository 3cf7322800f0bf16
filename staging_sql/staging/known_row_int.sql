LPAD(HEX(k), 16, '0'), h, s
