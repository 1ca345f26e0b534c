ALTER TABLE school_year_settings DROP COLUMN loan_weeks;
