-- Settings of a school year chosen by the coordinator. loan_policy says
-- where a loan of N school weeks may lie: inside one period
-- (within_period, the default when a year has no row), over one short
-- break with the pack staying at school (across_breaks), or a short period
-- getting loans of its own length (period_length). A round may override it
-- and records the policy it used in its parameters.
CREATE TABLE school_year_settings (
    school_year TEXT PRIMARY KEY CHECK (school_year GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]'),
    loan_policy TEXT NOT NULL DEFAULT 'within_period'
                CHECK (loan_policy IN ('within_period', 'across_breaks', 'period_length')),
    updated_by  INTEGER REFERENCES users (id),
    updated_at  TIMESTAMP NOT NULL
);
