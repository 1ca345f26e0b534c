DROP TABLE desk_submissions;
ALTER TABLE pack_items DROP COLUMN retired_reason;
ALTER TABLE pack_items DROP COLUMN retired_at;
ALTER TABLE loan_incidents DROP COLUMN stage;
