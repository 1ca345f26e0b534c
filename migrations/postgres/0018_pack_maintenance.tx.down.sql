DROP TRIGGER IF EXISTS loan_packs_no_maintenance ON loan_packs;
DROP FUNCTION IF EXISTS loan_packs_no_maintenance();
DROP TABLE IF EXISTS pack_maintenance;
DROP FUNCTION IF EXISTS pack_maintenance_no_loan();
