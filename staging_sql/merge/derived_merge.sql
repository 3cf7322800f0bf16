-- %(switch)s is 'derived_merge=off' around the dimension merges, whose nested derived tables MariaDB 10.11
-- merged into INSERT … SELECT … LEFT JOIN <target> … ON DUPLICATE KEY UPDATE and then skipped rows it should
-- have updated (10 changed rows: "Records: 4"); materialized, they give the right answer. The fact merges are
-- one level and run with the server's default ('derived_merge=on'). MySQL 8 knows the same switch.
SET SESSION optimizer_switch = %(switch)s
