-- Undoes 0032: drops the merge watermarks. Nothing is lost for good: without a watermark the next reconcile
-- of each company merges in full (as it did before 0032) and writes them again.
DROP TABLE IF EXISTS merge_watermarks;
