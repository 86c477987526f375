-- Which catalogue items count as complaints in the KPIs. The 投诉与反馈 category also holds praise
-- and suggestions, which a manager must not see counted as complaints.
ALTER TABLE item ADD COLUMN complaint boolean NOT NULL DEFAULT false;
UPDATE item SET complaint = true
WHERE category_id IN (SELECT id FROM category WHERE code = 'complaint') AND code <> 'complaint.praise';
