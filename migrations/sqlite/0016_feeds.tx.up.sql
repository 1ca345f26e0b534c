-- Feeds, second part: each feed request reads max(updated_at) of the tables
-- feeds show (the data generation, see store.FeedPoll). loans has its index
-- (loans_updated); these make the other two one index probe as well.
CREATE INDEX feed_gen_requests ON requests (updated_at);
CREATE INDEX feed_gen_loan_assessments ON loan_assessments (updated_at);
