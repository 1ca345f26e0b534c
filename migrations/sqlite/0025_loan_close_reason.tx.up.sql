-- A loan closed by the inspectorate while incidents of its return are
-- still open records why.
ALTER TABLE loans ADD COLUMN close_reason TEXT NOT NULL DEFAULT '';
