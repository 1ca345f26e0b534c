DROP TABLE participation_history;
DROP TABLE request_opinions;
DROP TABLE requests;
