-- The loan length of a school year in school weeks, chosen by the
-- coordinator beside the loan policy: the default of the year's rounds and
-- the length the synthesis counts capacity with.
ALTER TABLE school_year_settings ADD COLUMN loan_weeks INTEGER NOT NULL DEFAULT 6 CHECK (loan_weeks BETWEEN 1 AND 20);
