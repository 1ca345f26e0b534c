DROP TABLE task_notices;
DROP TABLE task_digests;
