DROP TRIGGER IF EXISTS loan_packs_no_maintenance_update;
DROP TRIGGER IF EXISTS loan_packs_no_maintenance_insert;
DROP TABLE IF EXISTS pack_maintenance;
