-- Search segments text into units (a CJK character, or a run of letters and
-- digits) and indexes unit bigrams, NFKC-normalised: 3组 no longer finds 5组3号 and
-- ３组 finds 3组. The index is rebuilt from the stored documents after this step.
DELETE FROM search_index;
