ALTER TABLE requests DROP COLUMN decision_override;
