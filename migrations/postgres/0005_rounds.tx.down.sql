DROP TABLE IF EXISTS round_pins;
DROP TABLE IF EXISTS round_unserved;
DROP TABLE IF EXISTS round_loan_packs;
DROP TABLE IF EXISTS round_loans;
DROP TABLE IF EXISTS rounds;
