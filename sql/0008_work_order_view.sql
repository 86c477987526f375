-- The order as every screen and answer shows it: the order with the names of its item, category,
-- place, team, service point and assignee, and whether it is overdue now (not there by the response
-- deadline, or not done by the due time, while open). One definition, read by the API
-- (server/src/workorders/workorders.queries.ts) and by intake's answer below.
-- `w.*` is fixed when the view is made: a migration that adds a column to work_order recreates it.
CREATE VIEW work_order_view AS
SELECT w.*,
  i.name AS item_name, i.name_en AS item_name_en,
  c.name AS category_name, c.name_en AS category_name_en,
  l.full_name AS location_name, l.building_id AS location_building_id,
  t.name AS team_name, t.name_en AS team_name_en,
  sp.name AS service_point_name, sp.name_en AS service_point_name_en,
  s.name AS assignee_name,
  (w.status IN ('new', 'dispatched', 'accepted', 'arrived', 'on_hold')
    AND ((w.arrived_at IS NULL AND w.response_due_at < now()) OR w.due_at < now())) AS overdue
FROM work_order w
JOIN item i ON i.id = w.item_id
JOIN category c ON c.id = w.category_id
JOIN location l ON l.id = w.location_id
JOIN team t ON t.id = w.team_id
LEFT JOIN service_point sp ON sp.id = w.service_point_id
LEFT JOIN staff s ON s.id = w.assignee_id;

-- file_work_order(), which answers intake with a row of this view, is in sql/functions/.
