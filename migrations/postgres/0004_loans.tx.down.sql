DROP TABLE IF EXISTS loan_assessments;
DROP TABLE IF EXISTS loan_extensions;
DROP TABLE IF EXISTS loan_incidents;
DROP TABLE IF EXISTS loan_sheet_lines;
DROP TABLE IF EXISTS loan_sheets;
DROP TABLE IF EXISTS loan_packs;
DROP TABLE IF EXISTS loans;
