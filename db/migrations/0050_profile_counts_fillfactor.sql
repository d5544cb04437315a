-- profile_counts leaves half of each page free, as 0049's histograms do: each written batch
-- updates ~11k of its rows at 10M, and an update that finds room on its row's page adds no
-- index entry. New pages only; `insighta rollups rebuild` writes every row anew. One
-- statement alone: on Citus, where profile_counts is a reference table, ALTER TABLE is sent
-- on to the workers as it was written.
alter table profile_counts set (fillfactor = 50)
