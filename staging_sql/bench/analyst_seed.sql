-- The analyst benchmark's world: %(companies)s companies with 40 projects each and %(rows)s time entries spread
-- evenly over the companies, two years of days and the projects. Digits cross-joined, not a sequence engine,
-- so the script runs on MySQL 8 as on MariaDB.
CREATE TEMPORARY TABLE bench_digits (d INT NOT NULL PRIMARY KEY);

INSERT INTO bench_digits VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);

CREATE TEMPORARY TABLE bench_numbers (n INT NOT NULL PRIMARY KEY);

INSERT INTO bench_numbers (n)
SELECT a.d + 10 * b.d + 100 * c.d + 1000 * d.d + 10000 * e.d + 100000 * f.d + 1000000 * g.d
FROM bench_digits a, bench_digits b, bench_digits c, bench_digits d, bench_digits e, bench_digits f, bench_digits g
WHERE a.d + 10 * b.d + 100 * c.d + 1000 * d.d + 10000 * e.d + 100000 * f.d + 1000000 * g.d < %(rows)s;

INSERT INTO companies (company_key, name)
SELECT CONCAT('bench', n), CONCAT('Bench company ', n) FROM bench_numbers WHERE n < %(companies)s ORDER BY n;

INSERT INTO projects (id, company_id, name, row_hash)
SELECT c.id * 1000 + p.n, c.id, CONCAT('Project ', p.n), UNHEX(MD5(p.n))
FROM companies c JOIN bench_numbers p ON p.n < 40
WHERE c.company_key LIKE 'bench%%';

INSERT INTO time_entries (company_id, source_system, source_id, spent_date, hours, project_id, is_billable, row_hash)
SELECT c.id, 'harvest', CAST(x.n AS CHAR), DATE_ADD('2024-01-01', INTERVAL (x.n DIV %(companies)s) %% 730 DAY),
       0.25 * (1 + x.n %% 16), c.id * 1000 + (x.n DIV 7) %% 40, x.n %% 3 <> 0, UNHEX(MD5(x.n))
FROM bench_numbers x
JOIN companies c ON c.company_key = CONCAT('bench', x.n %% %(companies)s);

DROP TEMPORARY TABLE bench_numbers;

DROP TEMPORARY TABLE bench_digits;

ANALYZE TABLE time_entries, projects, companies
