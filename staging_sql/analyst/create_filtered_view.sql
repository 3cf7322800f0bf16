-- {analyst}.{name}: the rows of {base}.{name} whose {tenant} is a company granted to the logged-in login.
-- USER() (the login as it connected), not CURRENT_USER(): inside a definer view CURRENT_USER() is the
-- definer. A view cannot read variables, so the filter is the mapping table. Only a subquery in WHERE: the
-- view stays mergeable, and a reader's own company_id predicate still reaches the base table's indexes.
-- {base}, {name} and {tenant} are identifiers from the code's own list (resources/analyst_schema.py).
CREATE OR REPLACE SQL SECURITY DEFINER VIEW {analyst}.{name} AS
SELECT r.* FROM {base}.{name} r
WHERE r.{tenant} IN (SELECT g.company_id FROM {base}.analyst_companies g
                     WHERE g.analyst_user = SUBSTRING_INDEX(USER(), '@', 1))
