DROP INDEX feed_gen_loan_assessments;
DROP INDEX feed_gen_requests;
